"""AI platforms: OpenAI, Anthropic, Hugging Face."""

from __future__ import annotations

from secretwarden.scan.rules.base import Rule, min_randomness

RULES = [
    Rule(
        id="openai-api-key",
        description="OpenAI API key (project, service-account, admin or legacy user key)",
        severity="critical",
        tags=("openai", "ai"),
        prefilter=r"sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{20}|[A-Za-z0-9]{20}T3BlbkFJ)",
        pattern=(
            r"(?<![\w-])(?P<secret>sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{40,200}"
            r"|sk-[A-Za-z0-9_\-]{20,74}T3BlbkFJ[A-Za-z0-9_\-]{20,74})(?![\w-])"
        ),
        must_match=(
            "OPENAI_API_KEY=sk-proj-{b64url:74}T3BlbkFJ{b64url:74}",
            "sk-{alnum:20}T3BlbkFJ{alnum:20}",
            "sk-svcacct-{b64url:60}",
        ),
        must_not_match=("sk-proj-short", "sk-{alnum:48}"),
        check=min_randomness(0.4),
    ),
    Rule(
        id="anthropic-api-key",
        description="Anthropic API or admin key (sk-ant-)",
        severity="critical",
        tags=("anthropic", "ai"),
        prefilter=r"sk-ant-[a-z]{3,8}\d\d-[A-Za-z0-9_\-]{40}",
        pattern=r"(?<![\w-])(?P<secret>sk-ant-[a-z]{3,8}\d\d-[A-Za-z0-9_\-]{80,120})(?![\w-])",
        must_match=("ANTHROPIC_API_KEY=sk-ant-api03-{b64url:93}AA",),
        must_not_match=("sk-ant-api03-short",),
    ),
    Rule(
        id="huggingface-token",
        description="Hugging Face access token (hf_)",
        severity="high",
        tags=("huggingface", "ai"),
        prefilter=r"hf_[A-Za-z]{34}",
        pattern=r"(?<![\w-])(?P<secret>hf_[A-Za-z]{34,40})(?![\w-])",
        must_match=("HF_TOKEN=hf_{lower:17}{upper:17}",),
        must_not_match=("hf_{lower:10}",),
        check=min_randomness(0.4),
    ),
]
