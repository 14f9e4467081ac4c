"""Key material: PEM / OpenSSH / PGP / PuTTY private keys, and JSON Web Tokens."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator

from secretwarden.findings.value_shapes import randomness
from secretwarden.scan import filters
from secretwarden.scan.rules.base import HIGH, LOW, MEDIUM, Hit, LineContext, Rule

_WINDOW = 96 * 1024
_PEM = re.compile(
    r"-----BEGIN (?P<kind>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----(?P<body>.*?)"
    r"(?:-----END (?P=kind)-----|$)",
    re.DOTALL,
)
_PUTTY = re.compile(r"PuTTY-User-Key-File-\d: [\w-]+.*?Private-Lines: \d+(?P<body>.*?)(?:Private-(?:MAC|Hash)|$)", re.DOTALL)
_ARMOUR_HEADER = re.compile(r"^(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset)\s*:.*$", re.MULTILINE)
# PKCS#8 `ENCRYPTED PRIVATE KEY`, legacy PEM `Proc-Type: 4,ENCRYPTED`, PuTTY `Encryption: aes256-cbc`
_ENCRYPTED = re.compile(r"BEGIN ENCRYPTED PRIVATE KEY|Proc-Type:\s*4,ENCRYPTED|Encryption:\s*(?!none)[a-z0-9]")
_B64_ONLY = re.compile(r"[^A-Za-z0-9+/=]")


def _body_chars(body: str) -> str:
    body = body.replace("\\n", "\n").replace("\\r", "\n")
    body = _ARMOUR_HEADER.sub("", body)
    # drop string-concatenation noise of keys pasted into code: quotes, +, commas
    return _B64_ONLY.sub("", body)


_LINE_NOISE = re.compile(r"^[\s#/*;!>%\-\"'`+,(]*|[\s\"'`+,);\\]*$")


def _prose_follows(body: str) -> bool:
    """The first line after the armour is words with spaces between them: the marker is quoted
    in a sentence. Key material is base64 without spaces, whatever comments or quotes wrap it."""
    for raw in body.replace("\\n", "\n").split("\n")[:6]:
        line = _LINE_NOISE.sub("", raw)
        if not line or _ARMOUR_HEADER.match(line):
            continue
        return len(line.split()) >= 3
    return False


class PrivateKeyRule(Rule):
    def find(self, ctx: LineContext) -> Iterator[Hit]:
        window = ctx.buffer[ctx.line_start : ctx.line_start + _WINDOW].decode("utf-8", "replace")
        line_len = len(ctx.line)
        for pattern in (_PEM, _PUTTY):
            for m in pattern.finditer(window):
                if m.start() > line_len:
                    break  # starts on a later line; that line has its own candidate
                if "{" in m.group("body")[:400]:
                    continue  # a template or format string, not key material
                if _prose_follows(m.group("body")):
                    continue  # `## key and certificate should start with -----BEGIN RSA PRIVATE KEY-----`
                body = _body_chars(m.group("body"))
                if len(body) < 40 or randomness(body[:200]) < 0.5:
                    continue  # armour without key material: docs, parsers, regexes
                if re.search(r"(?:\.\.\.|…|x{8,}|X{8,}|<[^>]*>)", m.group("body")[:400]):
                    continue
                ended = m.group(0).rstrip().endswith("-----") or "Private-MAC" in window[m.end(): m.end() + 20]
                confidence = HIGH if ended else MEDIUM
                if _ENCRYPTED.search(m.group(0)[:600]):
                    confidence = LOW  # passphrase-protected: listed with --min-confidence low
                lines = window.count("\n", m.start(), m.end()) + 1
                yield Hit(secret=body, start=m.start(), end=min(m.end(), line_len),
                          confidence=confidence, lines=lines)


def _jwt_check(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    if filters.is_documented_example(secret):
        return None  # jwt.io's sample token, quoted in countless docs and tests
    header_b64 = secret.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not ({"alg", "typ", "enc", "kid"} & header.keys()):
        return None
    signature = secret.rsplit(".", 1)[-1] if secret.count(".") >= 2 else ""
    if str(header.get("alg", "")).lower() == "none" or len(signature) < 16:
        return LOW  # unsigned: proves nothing, but it may still carry claims worth hiding
    return HIGH if randomness(signature) >= 0.5 else MEDIUM


def _jwk_check(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    # A JWK's private members only mean something inside a JWK: look for its `kty` nearby.
    lo = max(0, ctx.line_start - 1500)
    around = ctx.buffer[lo : ctx.line_start + len(ctx.line.encode()) + 1500]
    if b"kty" not in around:
        return None
    return HIGH if randomness(secret) >= 0.5 else None


def _otp_check(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    return MEDIUM if len(set(secret)) >= 8 else None


RULES: list[Rule] = [
    Rule(
        id="jwk-private-key",
        description="Private or symmetric member of a JSON Web Key (d, p, q, dp, dq, qi, k next to a kty)",
        severity="critical",
        tags=("jwk", "key", "crypto"),
        prefilter=r"[\"']?\b(?:d|p|q|dp|dq|qi|k)[\"']?\s*:\s*[\"'][A-Za-z0-9_\-]{32}",
        pattern=r"(?<![\w$.])[\"']?(?:d|p|q|dp|dq|qi|k)[\"']?\s*:\s*[\"'](?P<secret>[A-Za-z0-9_\-]{32,})[\"']",
        must_match=('{"kty": "RSA", "n": "{b64url:64}", "e": "AQAB", "d": "{b64url:86}"}',
                    "{{ kty: 'oct', k: '{b64url:43}' }}"),
        must_not_match=('{"n": "{b64url:64}", "d": "{b64url:86}"}',),
        check=_jwk_check,
        standard_filters=False,
    ),
    Rule(
        id="otp-secret",
        description="One-time-password seed (otpauth:// URI secret, or a base32 seed given to a TOTP/HOTP constructor)",
        severity="high",
        tags=("otp", "2fa"),
        prefilter=(r"otpauth://[th]otp/[^\s?]*\?[^\s]*secret=[A-Z2-7]{16}",
                   r"(?i)(?:totp|hotp|otp|authenticator)\w*(?:\.|::)?\w*\s*\(\s*[\"'][A-Z2-7]{16}"),
        pattern=(r"otpauth://[th]otp/[^\s?\"']*\?[^\s\"']*?secret=(?P<secret>[A-Z2-7]{16,}=*)"
                 r"|(?i:totp|hotp|otp|authenticator)\w*(?:\.|::)?\w*\s*\(\s*[\"'](?P<secret2>[A-Z2-7]{16,}=*)[\"']"),
        must_match=("otpauth://totp/acme:alice?secret={base32:32}&issuer=acme",
                    "totp = pyotp.TOTP('{base32:32}')"),
        must_not_match=("otpauth://totp/acme:alice?secret=JBSWY3DPEHPK3PXP",),
        check=_otp_check,
    ),
    PrivateKeyRule(
        id="private-key",
        description="Private key (PEM: RSA, EC, DSA, PKCS#8, encrypted, OpenSSH; PGP private key block; PuTTY .ppk)",
        severity="critical",
        tags=("key", "crypto"),
        prefilter=r"(?:-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY|PuTTY-User-Key-File-\d: )",
        pattern=r"-----BEGIN",
        must_match=(
            "-----BEGIN RSA PRIVATE KEY-----{nl}{b64:64}{nl}{b64:64}{nl}{b64:20}=={nl}-----END RSA PRIVATE KEY-----",
            "-----BEGIN OPENSSH PRIVATE KEY-----{nl}b3BlbnNzaC1rZXktdjEAAAAA{b64:40}{nl}{b64:70}{nl}-----END OPENSSH PRIVATE KEY-----",
            '"private_key": "-----BEGIN PRIVATE KEY-----\\\\n{b64:64}\\\\n{b64:64}\\\\n-----END PRIVATE KEY-----\\\\n",',
            "-----BEGIN PGP PRIVATE KEY BLOCK-----{nl}{nl}{b64:64}{nl}{b64:64}{nl}-----END PGP PRIVATE KEY BLOCK-----",
            "-----BEGIN EC PRIVATE KEY-----{nl}{b64:64}{nl}{b64:30}",
        ),
        must_not_match=(
            "-----BEGIN RSA PRIVATE KEY-----{nl}...{nl}-----END RSA PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----{nl}{b64:64}{nl}-----END PUBLIC KEY-----",
            'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):',
            "-----BEGIN PRIVATE KEY-----{nl}<your key here>{nl}-----END PRIVATE KEY-----",
            # the armour quoted in a sentence, prose after it
            "## key and certificate should start with -----BEGIN CERTIFICATE----- or{nl}"
            "## -----BEGIN RSA PRIVATE KEY-----{nl}##{nl}## name should line up with a tlsSecret set further up",
            # passphrase-protected keys are listed at low confidence only
            "-----BEGIN ENCRYPTED PRIVATE KEY-----{nl}{b64:64}{nl}{b64:64}{nl}-----END ENCRYPTED PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----{nl}Proc-Type: 4,ENCRYPTED{nl}DEK-Info: AES-128-CBC,{HEX:32}{nl}{nl}"
            "{b64:64}{nl}{b64:64}{nl}-----END RSA PRIVATE KEY-----",
        ),
        standard_filters=False,
        multiline=True,
        priority=90,
    ),
    Rule(
        id="jwt",
        description="JSON Web Token (a signed token is a bearer credential until it expires)",
        severity="medium",
        tags=("jwt", "token"),
        prefilter=r"eyJ[A-Za-z0-9_\-]{8}[A-Za-z0-9_\-]*\.eyJ[A-Za-z0-9_\-]{4}",
        pattern=r"(?<![\w-])(?P<secret>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{4,}\.?[A-Za-z0-9_\-]*)(?![\w-])",
        must_match=(
            "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{b64url:60}.{b64url:43}",
            'token = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJ{b64url:80}.{b64url:86}"',
        ),
        must_not_match=("eyJ{b64url:20}.eyJ{b64url:20}.{b64url:20}",),
        check=_jwt_check,
        standard_filters=False,
        priority=60,
    ),
]
