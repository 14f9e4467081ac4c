"""Named value formats a contract can require (`format: stripe-secret-key`).

Each format is a compiled pattern plus a description. Validation happens where
values are written or injected; reports read the result from metadata. Adding
a format is one entry in `FORMATS`.
"""

from __future__ import annotations

import re

from secretwarden.value_class import FrozenValue


class Format(FrozenValue):
    """A named value format: the pattern a value must match and how to describe it.

    Written out on `FrozenValue`: `warden run`'s fast path loads this module to check
    values, and creating a named tuple class under `from __future__ import annotations`
    costs about 1 ms of start-up (typing compiles each string annotation, `namedtuple`
    its `__new__`), a dataclass more; a plain class about 0.03 ms.
    """

    _fields = ("name", "pattern", "description", "placeholder")

    name: str
    pattern: str
    description: str
    placeholder: str  # clearly non-functional value for .env.example files

    def __init__(self, name: str, pattern: str, description: str, placeholder: str) -> None:
        d = self.__dict__
        d["name"] = name
        d["pattern"] = pattern
        d["description"] = description
        d["placeholder"] = placeholder

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value, flags=re.DOTALL) is not None


def _f(name: str, pattern: str, description: str, placeholder: str) -> tuple[str, Format]:
    return name, Format(name, pattern, description, placeholder)


FORMATS: dict[str, Format] = dict(
    [
        _f("url", r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+", "an absolute URL", "https://example.invalid"),
        _f("http-url", r"https?://\S+", "an http(s) URL", "https://example.invalid"),
        _f(
            "database-url",
            r"(postgres(ql)?|mysql|mariadb|mongodb(\+srv)?|redis|rediss|amqps?|sqlite)://\S+",
            "a database or broker connection URL",
            "postgres://USER:PASSWORD@db.example.invalid:5432/DB",
        ),
        _f("email", r"[^@\s]+@[^@\s]+\.[^@\s]+", "an e-mail address", "noreply@example.invalid"),
        _f("e164-phone", r"\+[1-9]\d{6,14}", "a phone number in E.164 form", "+15550000000"),
        _f("duration", r"\d+(ms|s|m|h|d|w)", "a duration such as 15m or 7d", "15m"),
        _f("integer", r"-?\d+", "an integer", "0"),
        _f("percent", r"(100|[1-9]?\d)(\.\d+)?", "a percentage between 0 and 100", "30"),
        _f("boolean", r"(?i:true|false|1|0|yes|no)", "a boolean", "false"),
        _f("uuid", r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", "a UUID", "00000000-0000-0000-0000-000000000000"),
        _f("hex", r"[0-9a-fA-F]+", "hexadecimal characters", "REPLACE_ME_HEX"),
        _f("base64", r"[A-Za-z0-9+/_-]+={0,2}", "base64 characters", "REPLACE_ME_BASE64"),
        _f("identifier", r"[A-Za-z][A-Za-z0-9_.-]*", "a plain identifier", "REPLACE_ME"),
        _f("stripe-secret-key", r"(sk|rk)_(live|test)_[0-9A-Za-z]{16,}", "a Stripe secret or restricted key", "sk_test_REPLACE_ME"),
        _f("stripe-webhook-secret", r"whsec_[0-9A-Za-z+/=]{16,}", "a Stripe webhook signing secret", "whsec_REPLACE_ME"),
        _f("resend-api-key", r"re_[0-9A-Za-z_]{16,}", "a Resend API key", "re_REPLACE_ME"),
        _f("twilio-account-sid", r"AC[0-9a-f]{32}", "a Twilio account SID", "AC_REPLACE_ME"),
        _f("twilio-auth-token", r"[0-9a-f]{32}", "a Twilio auth token", "REPLACE_ME_TWILIO_TOKEN"),
        _f("jwt-secret", r"\S{32,}", "an HMAC signing secret of at least 32 characters", "REPLACE_ME_JWT_SECRET"),
        _f("pem-private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----.+-----END [A-Z ]*PRIVATE KEY-----\s*", "a PEM private key", "REPLACE_ME_PEM"),
    ]
)
