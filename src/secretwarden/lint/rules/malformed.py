"""`malformed-yaml`: a YAML file that does not parse is reported, never a crash."""

from __future__ import annotations

from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule


def check(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.yaml_files:
        problem = ctx.yaml(path).problem
        if problem is None:
            continue
        extra = " (Helm template actions were blanked before parsing)" if ctx.yaml(path).templated else ""
        yield RULE.finding(path, problem.line, problem.column, problem.message + extra)


RULE = Rule(
    id="malformed-yaml",
    title="YAML file does not parse",
    severity="warning",
    rationale="A file the linter cannot read is a file no guardrail checks.",
    fix="Fix the YAML syntax (or move template-only files under a chart's templates/ folder).",
    check=check,
    failing=Example(
        files={"deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app\n"},
        expect=(("malformed-yaml", "deploy/app.yaml", 4),),
    ),
    passing=Example(
        files={
            "deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n---\nkind: x\n",
            "chart/Chart.yaml": "name: c\n",
            "chart/templates/cm.yaml": "{{- if .Values.on }}\napiVersion: v1\nkind: ConfigMap\n"
            "metadata:\n  name: {{ .Release.Name }}\n{{- end }}\n",
        },
    ),
)
RULES = (RULE,)
