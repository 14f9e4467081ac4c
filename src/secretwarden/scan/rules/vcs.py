"""Source hosting: GitHub, GitLab, Bitbucket."""

from __future__ import annotations

from secretwarden.scan.rules.base import Rule

RULES = [
    Rule(
        id="github-token",
        description="GitHub token (classic PAT ghp_, OAuth gho_, user-to-server ghu_, app installation ghs_, refresh ghr_)",
        severity="critical",
        tags=("github", "vcs"),
        prefilter=r"gh[pousr]_[A-Za-z0-9]{36}",
        pattern=r"(?<![A-Za-z0-9_])(?P<secret>gh[pousr]_[A-Za-z0-9]{36,251})(?![A-Za-z0-9_])",
        must_match=(
            "GITHUB_TOKEN=ghp_{alnum:36}",
            "token: gho_{alnum:36}",
            '"ghs_{alnum:36}"',
            "ghu_{alnum:36}",
            "ghr_{alnum:36}",
        ),
        must_not_match=("ghp_{alnum:20}", "ghx_{alnum:36}", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ),
    Rule(
        id="github-fine-grained-token",
        description="GitHub fine-grained personal access token (github_pat_)",
        severity="critical",
        tags=("github", "vcs"),
        prefilter=r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        pattern=r"(?<![A-Za-z0-9_])(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])",
        must_match=("export GH_TOKEN=github_pat_{alnum:22}_{alnum:59}",),
        must_not_match=("github_pat_{alnum:22}",),
    ),
    Rule(
        id="gitlab-token",
        description="GitLab token (personal/project/group glpat-, deploy, runner, trigger, OAuth, feed...)",
        severity="critical",
        tags=("gitlab", "vcs"),
        prefilter=r"gl(?:pat|dt|rt|ptt|cbt|oas|soat|ffct|imt|agent|ft|wt)-[A-Za-z0-9_\-]{20}",
        pattern=r"(?<![A-Za-z0-9_])(?P<secret>gl(?:pat|dt|rt|ptt|cbt|oas|soat|ffct|imt|agent|ft|wt)-[A-Za-z0-9_\-]{20,}(?:\.[A-Za-z0-9_\-]{2,}){0,2})(?![A-Za-z0-9_\-])",
        must_match=("private_token: glpat-{b64url:20}", "glrt-{alnum:20}", "gldt-{alnum:24}"),
        must_not_match=("glpat-{alnum:10}", "glpat-xxxxxxxxxxxxxxxxxxxx"),
    ),
    Rule(
        id="gitlab-runner-registration-token",
        description="GitLab runner registration token (GR1348941...)",
        severity="high",
        tags=("gitlab", "vcs", "ci"),
        prefilter=r"GR1348941[A-Za-z0-9_\-]{20}",
        pattern=r"(?<![\w-])(?P<secret>GR1348941[A-Za-z0-9_\-]{20,})(?![\w-])",
        must_match=("--registration-token GR1348941{b64url:20}",),
        must_not_match=("GR1348941",),
    ),
    Rule(
        id="bitbucket-app-password",
        description="Atlassian / Bitbucket API token (ATBB, ATATT)",
        severity="high",
        tags=("atlassian", "vcs"),
        prefilter=r"AT(?:BB|ATT)[A-Za-z0-9_\-=]{32}",
        pattern=r"(?<![\w-])(?P<secret>AT(?:BB|ATT)[A-Za-z0-9_\-=]{32,})(?![\w-])",
        must_match=("ATBB{alnum:32}", "ATATT3x{b64url:40}"),
        must_not_match=("ATBB{alnum:8}",),
    ),
]
