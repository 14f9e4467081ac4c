"""Expand example templates into concrete fake values at test time.

`{alnum:36}` → 36 random letters and digits; also `hex`, `HEX`, `lower`,
`upper`, `digits`, `b64` (standard alphabet), `b64url`, `base32` (A-Z2-7),
`lowernum` (a-z0-9), `uppernum`, and `basicauth` (base64 of
`deploy:` plus a random password). `{jwt:ROLE}` is a signed-looking JWT whose payload says
`"iss": "supabase", "role": ROLE` (the claims decide whether a token is public). `{nl}` is a newline. `{lit:text}` is `text` itself: a weak
but real-looking value (`{lit:supersecret123}`) that must not appear as a literal in our own
source, which `warden scan` keeps clean. Generation is seeded so a failing example reproduces.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string

ALPHABETS = {
    "alnum": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "digits": string.digits,
    "b64": string.ascii_letters + string.digits + "+/",
    "b64url": string.ascii_letters + string.digits + "-_",
    "base32": string.ascii_uppercase + "234567",
    "lowernum": string.ascii_lowercase + string.digits,
    "uppernum": string.ascii_uppercase + string.digits,
}

_TEMPLATE = re.compile(r"\{(nl|lit:[^{}]+|jwt:[a-z_]+|[A-Za-z0-9]+:\d+)\}")


def _b64url_json(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _jwt(role: str, rng: random.Random) -> str:
    ref = "".join(rng.choice(ALPHABETS["lower"]) for _ in range(20))
    claims = {"iss": "supabase", "ref": ref, "role": role, "iat": 1700000000, "exp": 2000000000}
    signature = "".join(rng.choice(ALPHABETS["b64url"]) for _ in range(43))
    return f"{_b64url_json({'alg': 'HS256', 'typ': 'JWT'})}.{_b64url_json(claims)}.{signature}"


def expand(template: str, seed: int = 0) -> str:
    rng = random.Random(f"{seed}:{template}")

    def repl(m: re.Match[str]) -> str:
        spec = m.group(1)
        if spec == "nl":
            return "\n"
        if spec.startswith("lit:"):
            return spec[4:]
        if spec.startswith("jwt:"):
            return _jwt(spec[4:], rng)
        name, count = spec.split(":")
        if name == "basicauth":
            password = "".join(rng.choice(ALPHABETS["alnum"]) for _ in range(int(count)))
            return base64.b64encode(f"deploy:{password}".encode()).decode()
        alphabet = ALPHABETS[name]
        while True:
            value = "".join(rng.choice(alphabet) for _ in range(int(count)))
            # keep fakes clearly random: at least a digit and a letter when possible
            if int(count) < 8 or name in {"digits", "hex", "HEX", "lower", "upper"}:
                return value
            if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                return value

    return _TEMPLATE.sub(repl, template)
