"""Payments and commerce: Stripe, Shopify, Square, PayPal/Braintree."""

from __future__ import annotations

from secretwarden.scan.rules.base import Rule, min_randomness

RULES = [
    Rule(
        id="stripe-secret-key",
        description="Stripe secret or restricted key (sk_/rk_, live or test); publishable pk_ keys are public",
        severity="critical",
        tags=("stripe", "payments"),
        prefilter=r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{20}",
        pattern=r"(?<![\w-])(?P<secret>(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{20,247})(?![\w-])",
        must_match=(
            "STRIPE_SECRET_KEY=sk_live_{alnum:24}",
            'stripe.api_key = "sk_test_{alnum:99}"',
            "rk_live_{alnum:24}",
        ),
        must_not_match=("pk_live_{alnum:24}", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "sk_test_{alnum:8}"),
        check=min_randomness(0.3),
    ),
    Rule(
        id="stripe-webhook-secret",
        description="Stripe webhook signing secret (whsec_)",
        severity="high",
        tags=("stripe", "payments", "webhook"),
        prefilter=r"whsec_[A-Za-z0-9+/]{32}",
        pattern=r"(?<![\w-])(?P<secret>whsec_[A-Za-z0-9+/=]{32,})(?![\w-])",
        must_match=("STRIPE_WEBHOOK_SECRET=whsec_{alnum:32}",),
        must_not_match=("whsec_...",),
    ),
    Rule(
        id="shopify-token",
        description="Shopify access token, custom app, private app password or shared secret (shpat_/shpca_/shppa_/shpss_)",
        severity="critical",
        tags=("shopify", "commerce"),
        prefilter=r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
        pattern=r"(?<![\w-])(?P<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})(?![\w-])",
        must_match=("X-Shopify-Access-Token: shpat_{hex:32}", "shpss_{hex:32}"),
        must_not_match=("shpat_{hex:16}",),
    ),
    Rule(
        id="square-token",
        description="Square access token or OAuth secret (EAAA / sq0atp- / sq0csp-)",
        severity="high",
        tags=("square", "payments"),
        prefilter=r"(?:sq0(?:atp|csp)-[0-9A-Za-z_\-]{22}|EAAA[A-Za-z0-9_\-]{60})",
        pattern=r"(?<![\w-])(?P<secret>sq0(?:atp|csp)-[0-9A-Za-z_\-]{22,43}|EAAA[A-Za-z0-9_\-]{60})(?![\w-])",
        must_match=("sq0csp-{b64url:43}", "EAAA{b64url:60}"),
        must_not_match=("sq0atp-short",),
        check=min_randomness(0.4),
    ),
    Rule(
        id="paypal-braintree-token",
        description="PayPal Braintree access token",
        severity="high",
        tags=("paypal", "payments"),
        prefilter=r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
        pattern=r"(?P<secret>access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32})",
        must_match=("access_token$production${lowernum:16}${hex:32}",),
        must_not_match=("access_token$production$",),
    ),
]
