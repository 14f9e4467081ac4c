"""`malformed-yaml`: a YAML file that does not parse is reported, never a crash.

Only documents without template markup are judged: a Helm or Jinja template
is YAML once rendered, and its actions are masked before parsing (see
`secretwarden.helm_template`), so a template that still does not parse is
left to `helm template`. Files showing markup verbatim (`{% raw %}`) are
documentation, not deployment YAML.
"""

from __future__ import annotations

from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule


def check(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.yaml_files:
        problem = ctx.yaml(path).problem
        if problem is None:
            continue
        yield RULE.finding(path, problem.line, problem.column, problem.message)


RULE = Rule(
    id="malformed-yaml",
    title="YAML file does not parse",
    severity="warning",
    rationale="A file the linter cannot read is a file no guardrail checks.",
    fix="Fix the YAML syntax (or move template-only files under a chart's templates/ folder).",
    check=check,
    failing=Example(
        files={"deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app\n",
               "chart/Chart.yaml": "name: c\n",
               "chart/templates/two.yaml": "kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n---\n"
               "kind: Secret\ndata:\n  a: b\n  - c\n"},
        expect=(("malformed-yaml", "deploy/app.yaml", 4), ("malformed-yaml", "chart/templates/two.yaml", 8)),
    ),
    passing=Example(
        files={
            "deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n---\nkind: x\n",
            "chart/Chart.yaml": "name: c\n",
            "chart/templates/cm.yaml": "{{- if .Values.on }}\napiVersion: v1\nkind: ConfigMap\n"
            "metadata:\n  name: {{ .Release.Name }}\n{{- end }}\n",
            "chart/templates/deploy.yaml": "kind: Deployment\nmetadata:\n  labels:\n"
            "    chart: {{ .Chart.Name }}-{{ .Chart.Version }}\n    {{- include \"c.labels\" . | nindent 4 }}\n"
            "spec:\n  template:\n    spec:\n      containers:\n        - name: {{ .Chart.Name }}\n"
            "          image: {{ .Values.registry }}/{{ .Values.repo }}:{{ .Values.tag }}\n"
            "          args: [{{ .Values.a }}-{{ .Values.b }}]\n",
            "docs/example.yml": "{% raw %}\nname: {{ .Values.x }\n  - :\n{% endraw %}\n",
        },
    ),
)
RULES = (RULE,)
