"""Keys that are public by design: listed at `note` severity, never failing a run.

Each of these identifies an account or a project to a client that runs on
users' machines (a web page, a mobile app); the provider expects it to be
shipped and protects the account some other way (referrer and app
restrictions, domain lists, row-level security, search-only permissions). A
reviewer may still want to see them — a key in the wrong place, or one not
restricted — so they are reported, as notes: `warden scan` and `warden ci`
never fail on one, and a baseline never records one.

What makes a key public is recognised from its context, never from one line
seen before: a prefix the provider reserves for public keys (`pk_live_`,
`pk.`, `phc_`), the configuration object the provider hands out for a web
page (`firebaseConfig`), the name a site key is given, or a role claim inside
the token. The same format outside that context is a
secret and stays with the rule that reports it (`gcp-api-key`, `jwt`,
`generic-secret`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from secretwarden.scan.rules.base import HIGH, LineContext, Rule, min_randomness

NOTE = "note"
PUBLIC_TAG = "public-by-design"
_PRIORITY = 65  # above the generic rules and `jwt`, so the public reading wins on the same characters


def _around(ctx: LineContext, before: int, after: int) -> str:
    """The line and its neighbours in the buffer (bytes around the line, decoded)."""
    lo = max(0, ctx.line_start - before)
    return ctx.buffer[lo: ctx.line_start + len(ctx.line) + after].decode("utf-8", "replace")


# --- Firebase ------------------------------------------------------------------------
# A Google API key is a secret, except inside the object the Firebase console hands
# out for a web app (`firebaseConfig` with `authDomain` and `messagingSenderId`,
# passed to `initializeApp(...)`): that key ships in every page.
#
# The mobile config files (`google-services.json`'s `current_key`,
# `GoogleService-Info.plist`'s `API_KEY`) are deliberately *not* treated so, by
# evidence: the CredData corpus labels those keys credentials, and a key taken
# from a mobile build is often unrestricted and used for other Google APIs. They
# stay `gcp-api-key` findings; a team that has restricted its key accepts it in
# the baseline.
_FIREBASE_MARKERS = re.compile(r"authDomain|firebaseapp\.com|messagingSenderId|firebaseConfig|initializeApp\s*\(")


def in_firebase_client_config(ctx: LineContext) -> bool:
    """Does this line sit in a Firebase web app's configuration object?"""
    return bool(_FIREBASE_MARKERS.search(ctx.line) or _FIREBASE_MARKERS.search(_around(ctx, 2048, 2048)))


def _firebase_config(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    return HIGH if in_firebase_client_config(ctx) else None


# --- captcha site keys -----------------------------------------------------------------
# reCAPTCHA, hCaptcha and Turnstile pair a *site* key (in the page's HTML) with a
# *secret* key (on the server). The name says which; a reCAPTCHA key of either kind
# starts `6L`, an hCaptcha site key is a UUID, a Turnstile one starts `0x`.
_CAPTCHA_CONTEXT = re.compile(r"(?i)captcha|turnstile")
_RECAPTCHA_SHAPE = re.compile(r"^6L[\w-]{38}$")


def _captcha_site_key(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    key = m.group("key") or ""
    if "secret" in key.lower():
        return None
    if m.group("secret2") or m.group("secret3") or key.lower() == "data-sitekey":
        return HIGH  # the widget's own attribute or call: only a site key goes there
    if _RECAPTCHA_SHAPE.match(secret) or _CAPTCHA_CONTEXT.search(key) or _CAPTCHA_CONTEXT.search(ctx.line):
        return HIGH
    return None


# --- Algolia search-only keys ----------------------------------------------------------
# A search-only key is what the browser sends to query an index; the admin and
# write keys never leave the server. Only the name tells them apart (all are 32
# hex characters), so a search-named key is a note only next to an Algolia name,
# and a DocSearch `apiKey` (always search-only) only inside a `docsearch(...)` call.
_ALGOLIA = re.compile(r"(?i)algolia|instantsearch")


def _algolia_search_key(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    key = m.group("key").lower()
    if any(word in key for word in ("admin", "write", "secret", "private")):
        return None
    if "search" in key and (_ALGOLIA.search(key) or _ALGOLIA.search(_around(ctx, 1024, 1024))):
        return HIGH
    if "docsearch" in _around(ctx, 1024, 512).lower():
        return HIGH
    return None


# --- Sentry DSN --------------------------------------------------------------------------
def _sentry_dsn(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    return HIGH if re.search(r"(?i)sentry|\bdsn\b", ctx.line) else None


# --- Supabase anon key -------------------------------------------------------------------
# A Supabase project's `anon` key is a JWT that the browser sends; row-level security
# decides what it may read. Its `service_role` twin bypasses that and stays a `jwt` finding.
def _supabase_anon(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    parts = secret.split(".")
    if len(parts) < 2:
        return None
    payload = parts[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if isinstance(claims, dict) and claims.get("iss") == "supabase" and claims.get("role") == "anon":
        return HIGH
    return None


RULES = [
    Rule(
        id="firebase-web-api-key",
        description="Firebase API key in a web app's firebaseConfig: public by design, shipped in every page; "
                    "restrict it to your sites and APIs in Google Cloud",
        severity=NOTE,
        tags=("gcp", "firebase", PUBLIC_TAG),
        prefilter=r"AIza[0-9A-Za-z_\-]{35}",
        pattern=r"(?<![\w-])(?P<secret>AIza[0-9A-Za-z_\-]{35})(?![\w-])",
        must_match=(
            'const firebaseConfig = { apiKey: "AIza{b64url:35}", authDomain: "shop.firebaseapp.com" };',
            'firebase.initializeApp({{nl}  apiKey: "AIza{b64url:35}",{nl}  projectId: "shop"{nl}});',
        ),
        must_not_match=(
            'GOOGLE_MAPS_KEY = "AIza{b64url:35}"',
            "GEMINI_API_KEY=AIza{b64url:35}",
            # a mobile config file's key stays a secret (see above)
            '"api_key": [{nl}  {"current_key": "AIza{b64url:35}"}{nl}],{nl}"client_info": '
            '{"mobilesdk_app_id": "1:{digits:12}:android:{hex:16}"}',
        ),
        check=_firebase_config,
        priority=_PRIORITY,
    ),
    Rule(
        id="mapbox-public-token",
        description="Mapbox public access token (pk.): public by design, used in browsers; "
                    "limit it with URL restrictions",
        severity=NOTE,
        tags=("mapbox", PUBLIC_TAG),
        # `pk.` then a base64url JSON object (`eyJ` is `{"`) and its signature; secret tokens say `sk.`
        prefilter=r"pk\.eyJ[A-Za-z0-9_\-]{8}",
        pattern=r"(?<![\w.-])(?P<secret>pk\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{20,})(?![\w-])",
        must_match=("mapboxgl.accessToken = 'pk.eyJ1IjoiYWNtZSIsImEiOiJ{b64url:20}In0.{b64url:22}';",),
        must_not_match=("pk.eyJ1IjoiYWNtZSJ9", "sk.eyJ1IjoiYWNtZSIsImEiOiJ{b64url:20}In0.{b64url:22}"),
        standard_filters=False,
        priority=_PRIORITY,
    ),
    Rule(
        id="captcha-site-key",
        description="reCAPTCHA, hCaptcha or Turnstile site key: public by design, embedded in every page "
                    "(its secret key is what must stay on the server)",
        severity=NOTE,
        tags=("captcha", PUBLIC_TAG),
        prefilter=(
            r"(?i)site[-_.]?key[\w.\-]{0,30}[\"'`]?\s*(?:[:=]|=>)\s*[\"'`]?[A-Za-z0-9_\-]{20}",
            r"grecaptcha\.(?:execute|render)\(\s*[\"']6L[\w-]{38}",
            r"[?&]render=6L[\w-]{38}",
        ),
        pattern=(
            r"(?i:(?P<key>[\w.\-]*site[-_.]?key[\w.\-]{0,30}))[\"'`]?\s*(?:[:=]|=>)\s*[\"'`]?"
            r"(?P<secret>[A-Za-z0-9_\-]{20,64})(?![\w-])"
            r"|grecaptcha\.(?:execute|render)\(\s*[\"'](?P<secret2>6L[\w-]{38})[\"']"
            r"|[?&]render=(?P<secret3>6L[\w-]{38})(?![\w-])"
        ),
        must_match=(
            '<div class="g-recaptcha" data-sitekey="6L{b64url:38}"></div>',
            "RECAPTCHA_SITE_KEY=6L{b64url:38}",
            '<div class="h-captcha" data-sitekey="{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}"></div>',
            "NEXT_PUBLIC_TURNSTILE_SITE_KEY=0x4AAAAAAA{b64url:14}",
            "grecaptcha.execute('6L{b64url:38}', {action: 'submit'})",
            '<script src="https://www.google.com/recaptcha/api.js?render=6L{b64url:38}"></script>',
        ),
        must_not_match=(
            "RECAPTCHA_SECRET_KEY=6L{b64url:38}",
            "SITE_KEY={alnum:40}",  # a site key of what? without a captcha in sight it is not known public
        ),
        check=_captcha_site_key,
        priority=_PRIORITY,
    ),
    Rule(
        id="stripe-publishable-key",
        description="Stripe publishable key (pk_live_/pk_test_): public by design, used by Stripe.js in browsers",
        severity=NOTE,
        tags=("stripe", "payments", PUBLIC_TAG),
        prefilter=r"pk_(?:live|test)_[0-9A-Za-z]{20}",
        pattern=r"(?<![\w-])(?P<secret>pk_(?:live|test)_[0-9A-Za-z]{20,247})(?![\w-])",
        must_match=("STRIPE_PUBLISHABLE_KEY=pk_live_{alnum:24}", "Stripe('pk_test_{alnum:99}')"),
        must_not_match=("pk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "sk_live_{alnum:24}"),
        check=min_randomness(0.3),
        priority=_PRIORITY,
    ),
    Rule(
        id="algolia-search-key",
        description="Algolia search-only API key: public by design, sent by browsers to query an index "
                    "(admin and write keys are secrets)",
        severity=NOTE,
        tags=("algolia", "search", PUBLIC_TAG),
        prefilter=r"(?i)(?:search[\w.\-]{0,12}key|api[-_]?key)[\w.\-]{0,12}[\"'`]?\s*(?:[:=]|=>)\s*[\"'`]?[a-f0-9]{32}",
        pattern=r"(?i:(?P<key>[\w.\-]*(?:search[\w.\-]{0,12}key|api[-_]?key)[\w.\-]{0,12}))[\"'`]?\s*(?:[:=]|=>)\s*"
                r"[\"'`]?(?P<secret>[a-f0-9]{32})(?![\w-])",
        must_match=(
            "ALGOLIA_SEARCH_API_KEY={hex:32}",
            "docsearch({{nl}  appId: 'R2IYF7ETH7',{nl}  apiKey: '{hex:32}',{nl}  indexName: 'docs'{nl}});",
            "const searchClient = algoliasearch('APPID', process.env.X);{nl}const searchKey = '{hex:32}';",
        ),
        must_not_match=("ALGOLIA_ADMIN_API_KEY={hex:32}", "SEARCH_API_KEY={hex:32}"),
        check=_algolia_search_key,
        priority=_PRIORITY,
    ),
    Rule(
        id="sentry-dsn-public",
        description="Sentry DSN without a secret part: public by design, sent by every client that reports errors",
        severity=NOTE,
        tags=("sentry", "observability", PUBLIC_TAG),
        prefilter=r"https?://[0-9a-f]{32}@",
        pattern=r"https?://(?P<secret>[0-9a-f]{32})@[\w.\-]+(?::\d+)?/\d+",
        must_match=("SENTRY_DSN=https://{hex:32}@o12345.ingest.sentry.io/678",
                    "Sentry.init({ dsn: 'https://{hex:32}@errors.internal/4' });"),
        must_not_match=("SENTRY_DSN=https://{hex:32}:{hex:32}@o12345.ingest.sentry.io/678",
                        "WEBHOOK=https://{hex:32}@hooks.internal/4"),
        check=_sentry_dsn,
        priority=_PRIORITY,
    ),
    Rule(
        id="posthog-project-key",
        description="PostHog project API key (phc_): public by design, sent by the browser snippet "
                    "(personal phx_ keys are secrets)",
        severity=NOTE,
        tags=("posthog", "analytics", PUBLIC_TAG),
        prefilter=r"phc_[A-Za-z0-9]{32}",
        pattern=r"(?<![\w-])(?P<secret>phc_[A-Za-z0-9]{32,64})(?![\w-])",
        must_match=("posthog.init('phc_{alnum:43}', {api_host: 'https://eu.posthog.com'})",),
        must_not_match=("phc_{alnum:10}",),
        check=min_randomness(0.3),
        priority=_PRIORITY,
    ),
    Rule(
        id="supabase-anon-key",
        description="Supabase anon key (a JWT with role anon): public by design, used by browsers under "
                    "row-level security (the service_role key is a secret)",
        severity=NOTE,
        tags=("supabase", "jwt", PUBLIC_TAG),
        prefilter=r"eyJ[A-Za-z0-9_\-]{8}[A-Za-z0-9_\-]*\.eyJ[A-Za-z0-9_\-]{4}",
        pattern=r"(?<![\w-])(?P<secret>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{16,})(?![\w-])",
        must_match=("SUPABASE_ANON_KEY={jwt:anon}",),
        must_not_match=("SUPABASE_SERVICE_ROLE_KEY={jwt:service_role}",),
        check=_supabase_anon,
        standard_filters=False,
        priority=_PRIORITY,
    ),
]
