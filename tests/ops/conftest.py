"""Fixtures for the rotation, incident and isolation tests: a contract with cadences,
runbooks, per-instance keys and two embedded stores, opened with an injectable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from secretwarden.ops.workspace import Workspace

ROTATION_CONTRACT = """\
version: 1
project: rotdemo
rotate_every: 180d
environments:
  dev: {store: local}
  staging: {store: local}
  prod: {store: second, production: true, rotate_every: 30d}
instances: [tenant-a, tenant-b]
stores:
  local: {backend: embedded, options: {path: .warden/local.db}}
  second: {backend: embedded, options: {path: .warden/second.db}}
namespaces:
  api: {path: /services/api, owner: team-api}
  pay: {path: /services/pay, owner: team-pay, rotate_every: 90d}
  shop: {path: /services/shop, owner: team-shop}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN:
        min_length: 24
        generate: {kind: chars, length: 32}
        rotate_every: 60d
        runbook:
          - step: Revoke the old token at the provider
          - {step: Tell the on-call engineer, confirm: false}
      SHORT_PIN: {generate: {kind: chars, length: 8}}
      TTL: {sensitive: false, format: duration, generate: {kind: literal, value: 15m}}
      MANUAL: {min_length: 16}
  pay:
    namespace: pay
    secrets:
      PAY_KEY: {min_length: 32, generate: {kind: hex, length: 64}}
  shop:
    namespace: shop
    per_instance: true
    secrets:
      SHOP_KEY: {min_length: 16, generate: {kind: chars, length: 32}}
"""

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Clock:
    """Moves only when told (plus one microsecond per reading, so writes are ordered)."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(microseconds=1)
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def contract_path(tmp_path: Path) -> Path:
    path = tmp_path / "repo" / "warden.yaml"
    path.parent.mkdir()
    path.write_text(ROTATION_CONTRACT)
    return path


@pytest.fixture
def ws(contract_path: Path, clock: Clock) -> Iterator[Workspace]:
    with Workspace.load(contract_path, command="test", clock=clock) as workspace:
        yield workspace


def values_read(ws: Workspace) -> int:
    return sum(s.stats.values_read for s in [*ws._meta.values(), *ws._secrets.values()])
