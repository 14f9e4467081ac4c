"""Generate the rule reference of docs/lint.md from the rules themselves.

    python -m secretwarden.lint.docs docs/lint.md   # rewrite the generated block

A test fails when the block in docs/lint.md differs from what this prints, so
a rule's documentation cannot drift from its code and examples.
"""

from __future__ import annotations

import sys
from pathlib import Path

from secretwarden.lint.model import Example, Rule
from secretwarden.lint.registry import all_rules

BEGIN = "<!-- BEGIN GENERATED RULES: python -m secretwarden.lint.docs docs/lint.md -->"
END = "<!-- END GENERATED RULES -->"


def _fence(path: str) -> str:
    if path.endswith((".yaml", ".yml")):
        return "yaml"
    if path.endswith(".py"):
        return "python"
    if path.endswith((".ts", ".js")):
        return "typescript"
    if path.endswith(".go"):
        return "go"
    if path.endswith(".md"):
        return "markdown"
    return "sh" if "Dockerfile" not in path else "dockerfile"


def _example(example: Example, title: str) -> list[str]:
    out = [f"**{title}**", ""]
    if example.contract is not None:
        out += ["<details><summary>warden.yaml</summary>", "", "```yaml", example.contract.rstrip("\n"), "```", "",
                "</details>", ""]
    for path, text in example.files.items():
        body = text
        if text.startswith("@render:"):
            body = "(the section written by `warden render secrets-doc`)"
        elif text.startswith("@schema:"):
            _, service, lang = text.split(":")
            body = f"(the module `warden render schema --service {service} --lang {lang}` writes)"
        out += [f"`{path}`", "", f"```{_fence(path)}", body.rstrip("\n"), "```", ""]
    if example.expect:
        out.append("Findings: " + ", ".join(f"`{f}:{line}`" for _, f, line in example.expect) + ".")
        out.append("")
    return out


def rule_section(rule: Rule) -> list[str]:
    scope = " Needs a warden.yaml." if rule.needs_contract else ""
    return [
        f"### `{rule.id}`",
        "",
        f"{rule.title}. Severity: **{rule.severity}**.{scope}",
        "",
        f"Why: {rule.rationale}",
        "",
        f"Fix: {rule.fix}",
        "",
        *_example(rule.failing, "Fails"),
        *_example(rule.passing, "Passes"),
    ]


def rules_markdown() -> str:
    lines = [BEGIN, "", "| id | severity | what |", "| --- | --- | --- |"]
    lines += [f"| [`{r.id}`](#{r.id}) | {r.severity} | {r.title} |" for r in all_rules()]
    lines.append("")
    for rule in all_rules():
        lines += rule_section(rule)
    lines.append(END)
    return "\n".join(lines)


def replace_block(doc: str) -> str:
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < 0:
        return doc.rstrip("\n") + "\n\n" + rules_markdown() + "\n"
    return doc[:start] + rules_markdown() + doc[end + len(END):]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    path = Path(argv[0])
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_block(old), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
