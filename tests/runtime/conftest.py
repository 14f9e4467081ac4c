"""A small contract with every kind of key the runtime types, and a direct-vault service."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.stock import write_values

RUNTIME_CONTRACT = """\
version: 1
project: rtdemo
environments:
  dev: {}
  prod: {}
namespaces:
  app: {path: /services/app}
  batch: {path: /services/batch}
  shared: {path: /shared}
services:
  shared:
    namespace: shared
    secrets:
      DB_URL: {format: database-url, generate: none}
  app:
    namespace: app
    secrets:
      APP_TOKEN: {min_length: 16}
      APP_SIGNING: {format: hex, min_length: 32}
      APP_TTL: {sensitive: false, format: duration}
      APP_RETRIES: {sensitive: false, format: integer, required: false}
      APP_SHARE: {sensitive: false, format: percent}
      APP_VERBOSE: {sensitive: false, format: boolean, required: false}
      APP_HOOK: {required: false, format: http-url}
      DB_URL: {ref: shared/DB_URL}
  batch:
    namespace: batch
    access: direct-vault
    justification: nightly job outside the cluster
    secrets:
      BATCH_TOKEN: {min_length: 16}
      BATCH_OPTIONAL: {required: false}
      BATCH_LIMIT: {sensitive: false, format: integer}
  staging-only:
    namespace: app
    environments: [prod]
    secrets:
      ONLY_PROD: {required: true, environments: [prod]}
"""


@pytest.fixture
def rt_contract(tmp_path: Path) -> Path:
    path = tmp_path / "warden.yaml"
    path.write_text(RUNTIME_CONTRACT)
    return path


@pytest.fixture
def stocked(rt_contract: Path) -> dict[str, str]:
    """Every key of `app` written to the dev store; returns the values (canaries where allowed)."""
    import secrets

    from tests.conftest import make_canary

    values = {
        "app/APP_TOKEN": make_canary("tok"),
        "app/APP_SIGNING": secrets.token_hex(20),
        "app/APP_TTL": "15m",
        "app/APP_SHARE": "30",
        "shared/DB_URL": f"postgres://app:{make_canary('db')}@db.internal/app",
    }
    write_values(rt_contract, "dev", values)
    return {slot.split("/", 1)[1]: value for slot, value in values.items()}
