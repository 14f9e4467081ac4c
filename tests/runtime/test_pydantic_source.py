"""An existing pydantic-settings class takes its values through warden with one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import SecretStr

from secretwarden.errors import SettingsInvalid
from tests.conftest import make_canary

pydantic_settings = pytest.importorskip("pydantic_settings")


def test_base_settings_class_reads_validated_typed_values(rt_contract: Path) -> None:
    from secretwarden.runtime.pydantic_source import warden_sources

    token = make_canary()
    environ = {
        "APP_TOKEN": token,
        "APP_SIGNING": "cd" * 20,
        "APP_TTL": "2h",
        "APP_SHARE": "30",
        "DB_URL": "postgres://u@h/db",
    }

    class Settings(pydantic_settings.BaseSettings):  # type: ignore[misc, name-defined]
        app_token: SecretStr
        app_ttl: dt.timedelta
        app_share: float
        not_in_contract: int = 7
        settings_customise_sources = warden_sources("app", "dev", contract_path=rt_contract, environ=environ)

    s = Settings()
    assert s.app_token.get_secret_value() == token
    assert s.app_ttl == dt.timedelta(hours=2) and s.app_share == 30.0 and s.not_in_contract == 7
    assert token not in repr(s)


def test_base_settings_class_fails_fast_on_the_contract(rt_contract: Path) -> None:
    from secretwarden.runtime.pydantic_source import warden_sources

    class Settings(pydantic_settings.BaseSettings):  # type: ignore[misc, name-defined]
        app_token: SecretStr | None = None
        settings_customise_sources = warden_sources("app", "dev", contract_path=rt_contract, environ={})

    with pytest.raises(SettingsInvalid) as info:
        Settings()
    assert "APP_TOKEN: missing (dev:app/APP_TOKEN)" in info.value.problems


def test_a_sensitive_key_needs_a_secret_field(rt_contract: Path) -> None:
    from secretwarden.errors import UsageError
    from secretwarden.runtime.pydantic_source import warden_sources

    token = make_canary()
    environ = {"APP_TOKEN": token, "APP_SIGNING": "cd" * 20, "APP_TTL": "2h", "APP_SHARE": "30", "DB_URL": "postgres://u@h/db"}

    class Leaky(pydantic_settings.BaseSettings):  # type: ignore[misc, name-defined]
        app_token: str
        settings_customise_sources = warden_sources("app", "dev", contract_path=rt_contract, environ=environ)

    with pytest.raises(UsageError, match=r"app_token.*APP_TOKEN.*SecretStr") as info:
        Leaky()
    assert token not in str(info.value)

    class Fine(pydantic_settings.BaseSettings):  # type: ignore[misc, name-defined]
        app_token: SecretStr | None = None
        app_ttl: str | dt.timedelta = "1h"
        settings_customise_sources = warden_sources("app", "dev", contract_path=rt_contract, environ=environ)

    assert Fine().app_token.get_secret_value() == token  # type: ignore[union-attr]
