"""A pydantic-settings source: an existing `BaseSettings` class takes its values through warden.

    from pydantic_settings import BaseSettings
    from secretwarden.runtime.pydantic_source import warden_sources

    class Settings(BaseSettings):
        STRIPE_SECRET_KEY: SecretStr
        PAYMENT_DEPOSIT_DEFAULT_PERCENT: float = 30
        settings_customise_sources = warden_sources("payment")   # the one line

The source checks the whole service against the contract (one
`SettingsInvalid` listing every problem) and hands each field whose name (or
alias, with the class's `env_prefix`) is a key of the service its validated,
typed value. A field that receives a sensitive key must be typed `SecretStr`
(a plain `str` would show the value in `repr()` and validation errors): the
source refuses it with a `UsageError`. Fields the contract does not know are
left to the other sources.
pydantic-settings is an optional extra (`secretwarden[runtime]`), imported
only when this module is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource


def _contract_values(
    service: str, env: str | None, instance: str | None, contract_path: str | os.PathLike[str] | None,
    environ: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Key name -> validated, typed value; sensitive ones stay `SecretStr`."""
    from secretwarden.runtime.settings import load_settings

    model = load_settings(service, env, instance=instance, contract_path=contract_path, environ=environ)
    out: dict[str, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if value is not None:
            out[field.alias or name] = value
    return out


def _holds_secret_type(annotation: Any) -> bool:
    import typing

    from pydantic import SecretStr

    if annotation is SecretStr:
        return True
    return any(_holds_secret_type(arg) for arg in typing.get_args(annotation))


def warden_source(
    settings_cls: type[BaseSettings],
    service: str,
    env: str | None = None,
    *,
    instance: str | None = None,
    contract_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> PydanticBaseSettingsSource:
    """A source instance, for classes that write their own `settings_customise_sources`."""
    from pydantic.fields import FieldInfo
    from pydantic_settings import PydanticBaseSettingsSource

    class WardenSettingsSource(PydanticBaseSettingsSource):
        def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
            return None, field_name, False  # everything happens in __call__

        def __call__(self) -> dict[str, Any]:
            from pydantic import SecretStr

            from secretwarden.errors import UsageError

            values = _contract_values(service, env, instance, contract_path, environ)
            config = self.config
            prefix = str(config.get("env_prefix") or "")
            case_sensitive = bool(config.get("case_sensitive", False))
            lookup = values if case_sensitive else {k.lower(): v for k, v in values.items()}
            key_names = {k if case_sensitive else k.lower(): k for k in values}
            out: dict[str, Any] = {}
            for name, field in self.settings_cls.model_fields.items():
                key = field.alias or name
                for candidate in (prefix + key, key):
                    probe = candidate if case_sensitive else candidate.lower()
                    if probe in lookup:
                        value = lookup[probe]
                        # A plain `str` field would show the value in repr() and in validation errors.
                        if isinstance(value, SecretStr) and not _holds_secret_type(field.annotation):
                            raise UsageError(
                                f"field `{name}` of {self.settings_cls.__name__} receives the sensitive key "
                                f"`{key_names[probe]}`: declare it as SecretStr"
                            )
                        out[key] = value
                        break
            return out

    return WardenSettingsSource(settings_cls)


def warden_sources(
    service: str,
    env: str | None = None,
    *,
    instance: str | None = None,
    contract_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """A ready `settings_customise_sources` classmethod: init args, then warden, then the usual sources."""

    def customise(
        cls: type[BaseSettings],
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        source = warden_source(
            settings_cls, service, env, instance=instance, contract_path=contract_path, environ=environ
        )
        return init_settings, source, env_settings, dotenv_settings, file_secret_settings

    return classmethod(customise)
