"""Cloud providers and platform APIs: AWS, Google Cloud, Azure, Mapbox."""

from __future__ import annotations

import re

from secretwarden.findings.value_shapes import randomness
from secretwarden.scan.rules.base import HIGH, MEDIUM, LineContext, Rule, min_randomness
from secretwarden.scan.rules.public import in_firebase_client_config


def _aws_key_id(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    # A key id is an identifier, not a credential on its own; it matters most
    # next to its secret, which the secret-key rule reports.
    return MEDIUM if len(set(secret[4:])) >= 6 else None


def _not_emulator(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    # The storage emulator's account key is published in Microsoft's docs.
    if "devstoreaccount1" in ctx.line:
        return None
    return HIGH



def _not_firebase_web_config(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    """In a Firebase web config the key is public by design: `firebase-web-api-key` lists it as a note."""
    return None if in_firebase_client_config(ctx) else HIGH


def _service_account_key(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    if "{" in secret or "..." in secret:
        return None
    lo = max(0, ctx.line_start - 4096)
    around = ctx.buffer[lo: ctx.line_start + len(ctx.line) + 4096]
    return HIGH if b"service_account" in around or b"gserviceaccount.com" in around else None

RULES = [
    Rule(
        id="aws-access-key-id",
        description="AWS access key id (AKIA/ASIA...); look for its secret key nearby",
        severity="high",
        tags=("aws", "cloud", "key-id"),
        prefilter=r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}",
        pattern=r"(?<![A-Za-z0-9])(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})(?![A-Za-z0-9])",
        must_match=("aws_access_key_id = AKIA{base32:16}", '"AccessKeyId": "ASIA{base32:16}"'),
        must_not_match=("AKIAIOSFODNN7EXAMPLE", "xAKIA{base32:16}", "AKIA{base32:12}"),
        check=_aws_key_id,
        priority=60,
    ),
    Rule(
        id="aws-secret-access-key",
        description="AWS secret access key assigned to an AWS-secret-named setting",
        severity="critical",
        tags=("aws", "cloud", "secret-key"),
        prefilter=r"(?i)(?:secret[\w.-]{0,6}access|aws[\w.-]{0,20}secret)[\w.-]{0,12}[\"']?\s*(?:[:=,]|=>)\s*[\"']?[A-Za-z0-9/+]{40}",
        pattern=r"(?i:secret[\w.-]{0,6}access|aws[\w.-]{0,20}secret)[\w.-]{0,12}[\"']?\s*(?:[:=,]|=>)\s*[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        must_match=(
            "aws_secret_access_key = {b64:40}",
            '"SecretAccessKey": "{b64:40}"',
            "AWS_SECRET='{b64:40}'",
        ),
        must_not_match=(
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
            "aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
        check=min_randomness(0.5),
        priority=70,
    ),
    Rule(
        id="gcp-api-key",
        description="Google Cloud / Firebase API key",
        severity="high",
        tags=("gcp", "cloud", "api-key"),
        prefilter=r"AIza[0-9A-Za-z_\-]{35}",
        pattern=r"(?<![\w-])(?P<secret>AIza[0-9A-Za-z_\-]{35})(?![\w-])",
        must_match=(
            'apiKey: "AIza{b64url:35}"',
            'GOOGLE_MAPS_KEY = "AIza{b64url:35}"',
            # google-services.json: a mobile build's key is often unrestricted (see rules/public.py)
            '"api_key": [{nl}  {"current_key": "AIza{b64url:35}"}{nl}],{nl}"client_info": '
            '{"mobilesdk_app_id": "1:{digits:12}:android:{hex:16}"}',
        ),
        must_not_match=(
            "AIza{b64url:20}",
            'const firebaseConfig = { apiKey: "AIza{b64url:35}", authDomain: "shop.firebaseapp.com" };',
        ),
        check=_not_firebase_web_config,
    ),
    Rule(
        id="gcp-service-account",
        description="Google Cloud service-account key file (the private_key of a service_account JSON)",
        severity="critical",
        tags=("gcp", "cloud", "service-account"),
        prefilter=r"\"private_key\"\s*:\s*\"-----BEGIN",
        pattern=r"\"private_key\"\s*:\s*\"(?P<secret>-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\\]{40,}[^\"]*)\"",
        # the key id only names the key: the finding sits where the key material is
        must_match=(
            '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n{b64:64}\\n{b64:64}'
            '\\n-----END PRIVATE KEY-----\\n", "client_email": "ci@p.iam.gserviceaccount.com"}',
        ),
        must_not_match=('  "private_key_id": "{hex:40}",', '"private_key": "-----BEGIN PRIVATE KEY-----\\n..."'),
        check=_service_account_key,
        priority=95,  # names the key better than the generic private-key rule on the same line
    ),
    Rule(
        id="gcp-oauth-client-secret",
        description="Google OAuth client secret (GOCSPX-)",
        severity="high",
        tags=("gcp", "oauth"),
        prefilter=r"GOCSPX-[A-Za-z0-9_\-]{28}",
        pattern=r"(?<![\w-])(?P<secret>GOCSPX-[A-Za-z0-9_\-]{28})(?![\w-])",
        must_match=('"client_secret":"GOCSPX-{b64url:28}"',),
        must_not_match=("GOCSPX-{b64url:10}",),
    ),
    Rule(
        id="azure-storage-key",
        description="Azure storage account key (connection string AccountKey=)",
        severity="critical",
        tags=("azure", "cloud", "storage"),
        prefilter=r"(?i)AccountKey\s*=\s*[A-Za-z0-9+/]{86}==",
        pattern=r"(?i:AccountKey)\s*=\s*(?P<secret>[A-Za-z0-9+/]{86}==)",
        must_match=(
            "DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey={b64:86}==;EndpointSuffix=core.windows.net",
        ),
        must_not_match=(
            "AccountName=devstoreaccount1;AccountKey={b64:86}==",
            "AccountKey=<your-key>",
        ),
        check=_not_emulator,
    ),
    Rule(
        id="azure-sas-token",
        description="Azure shared access signature (sv=...&sig=...)",
        severity="high",
        tags=("azure", "cloud", "sas"),
        prefilter=r"(?i)[?&]sig=[A-Za-z0-9%+/]{30}",
        pattern=r"(?i)[?&;]sv=\d{4}-\d\d-\d\d[^\s\"'<>]*?[?&]sig=(?P<secret>[A-Za-z0-9%+/]{40,}(?:=|%3D){0,2})",
        must_match=("https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&sp=r&sig={b64:43}%3D",),
        must_not_match=("https://example.com/?sig=abc",),
        check=min_randomness(0.4),
    ),
    Rule(
        id="azure-ad-client-secret",
        description="Microsoft Entra ID (Azure AD) application client secret",
        severity="high",
        tags=("azure", "oauth"),
        prefilter=r"[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31}",
        pattern=r"(?<![\w~.-])(?P<secret>[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?![\w~.-])",
        must_match=("client_secret = '{alnum:3}8Q~{alnum:31}'",),
        must_not_match=("abc8Q~short",),
        check=lambda s, m, c: HIGH if randomness(s) >= 0.5 else None,
    ),
    Rule(
        id="mapbox-secret-token",
        description="Mapbox secret access token (sk.): server-side scopes such as uploads and token management",
        severity="high",
        tags=("mapbox", "token"),
        # `sk.` then a base64url JSON object (`eyJ` is `{"`) and its signature; public tokens say `pk.`
        prefilter=r"sk\.eyJ[A-Za-z0-9_\-]{8}",
        pattern=r"(?<![\w.-])(?P<secret>sk\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{20,})(?![\w-])",
        must_match=(
            "MAPBOX_TOKEN=sk.eyJ1IjoiYWNtZSIsImEiOiJ{b64url:20}In0.{b64url:22}",
            "fetch('https://api.mapbox.com/tokens/v2?access_token=sk.eyJ1IjoiYWNtZSIsImEiOiJ{b64url:20}In0.{b64url:22}')",
        ),
        must_not_match=("pk.eyJ1IjoiYWNtZSIsImEiOiJ{b64url:20}In0.{b64url:22}", "sk.eyJ1IjoiYWNtZSJ9"),
        standard_filters=False,
    ),
]
