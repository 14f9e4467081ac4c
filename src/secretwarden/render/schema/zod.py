"""TypeScript with zod: `envSchema`, its `Env` type, and `loadEnv()` that exits on bad input."""

from __future__ import annotations

import json
import re

from secretwarden.render.schema.patterns import ecmascript
from secretwarden.render.schema.spec import TRUE_WORDS, SchemaField, SchemaSpec

SUFFIX = ".ts"


def regex_literal(field: SchemaField, pattern: str) -> str:
    source, flags = ecmascript(field.name, pattern, dot_all_flag=True)
    return f"/{source}/{flags}"


def ts_key(name: str) -> str:
    """A property name as Prettier writes it: bare when it is an identifier."""
    return name if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", name) else json.dumps(name)


def doc_comment(field: SchemaField, indent: str) -> list[str]:
    words = [field.description.strip().rstrip(".") + "." if field.description else ""]
    words.append("Sensitive: never log it." if field.sensitive else "")
    text = " ".join(w for w in words if w).replace("*/", "* /")
    return [f"{indent}/** {text} */"] if text else []


WIDTH = 80  # Prettier's default print width: the output is already what `prettier` would write


def _calls(field: SchemaField) -> list[tuple[str, str]]:
    """The chain after `z` as (method, argument source) pairs."""
    calls = [("string", ""), ("min", str(max(field.min_length or 1, 1)))]
    calls += [("regex", regex_literal(field, p)) for p in field.patterns if field.kind != "boolean"]
    if field.kind == "boolean":
        calls.append(("regex", "/^(?:true|false|1|0|yes|no)$/i"))
        truthy = "|".join(TRUE_WORDS)
        calls.append(("transform", f"(v) => /^(?:{truthy})$/i.test(v)"))
    elif field.kind in ("integer", "number"):
        bounds = "".join(
            f".{name}({value:g})" for name, value in (("min", field.minimum), ("max", field.maximum)) if value is not None
        )
        number = "z.number().int()" if field.kind == "integer" else "z.number()"
        calls += [("transform", "Number"), ("pipe", f"{number}{bounds}")]
    if not field.required:
        calls.append(("optional", ""))
    return calls


def property_lines(key: str, field: SchemaField) -> list[str]:
    """`key: z.string()...,` on one line when it fits, else one call per line, as Prettier breaks a chain."""
    calls = _calls(field)
    flat = f"  {key}: z" + "".join(f".{m}({a})" for m, a in calls) + ","
    # Prettier also breaks a fitting chain of more than two calls when an argument is not
    # "simple" (a regex literal longer than five characters, an arrow function): ours always are.
    complex_args = any(m == "regex" or a.startswith("(") for m, a in calls)
    if len(flat) <= WIDTH and not (len(calls) > 2 and complex_args):
        return [flat]
    lines = [f"  {key}: z"]
    for i, (method, arg) in enumerate(calls):
        end = "," if i == len(calls) - 1 else ""
        line = f"    .{method}({arg}){end}"
        if len(line) > WIDTH and arg:
            lines += [f"    .{method}(", f"      {arg},", f"    ){end}"]
        else:
            lines.append(line)
    return lines


def render(spec: SchemaSpec, header: list[str]) -> str:
    lines = [f"// {line}" for line in header]
    lines += ['import { z } from "zod";', "", "/** What a valid value of each key looks like (error messages never quote a value). */"]
    lines.append("const EXPECTED: Record<string, string> = {")
    for f in spec.fields:
        line = f"  {ts_key(f.name)}: {json.dumps(f.expected)},"
        lines += [line] if len(line) <= WIDTH else [f"  {ts_key(f.name)}:", f"    {json.dumps(f.expected)},"]
    lines += ["};", "", "export const envSchema = z.object({"]
    for field in spec.fields:
        lines += doc_comment(field, "  ")
        lines += property_lines(ts_key(field.name), field)
    lines += [
        "});",
        "",
        "export type Env = z.infer<typeof envSchema>;",
        "",
        f"/** Read and check the environment of `{spec.service}`; on failure name every bad key and exit 1. */",
        "export function loadEnv(",
        "  source: Record<string, string | undefined> = process.env,",
        "): Env {",
        "  const result = envSchema.safeParse(source);",
        "  if (result.success) {",
        "    return result.data;",
        "  }",
        "  const problems = new Set<string>();",
        "  for (const issue of result.error.issues) {",
        "    const key = String(issue.path[0]);",
        "    problems.add(",
        "      source[key] === undefined",
        "        ? `${key}: missing`",
        "        : `${key}: invalid, expected ${EXPECTED[key]}`,",
        "    );",
        "  }",
        "  console.error(",
        f"    `service {spec.service}: ${{problems.size}} invalid environment variable(s):\\n  ${{[...problems].join(\"\\n  \")}}`,",
        "  );",
        "  process.exit(1);",
        "}",
        "",
    ]
    return "\n".join(lines)
