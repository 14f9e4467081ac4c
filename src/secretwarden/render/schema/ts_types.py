"""Plain TypeScript, no dependency: the `Env` interface and a `loadEnv()` that checks every key."""

from __future__ import annotations

import json

from secretwarden.render.schema.spec import TRUE_WORDS, SchemaField, SchemaSpec
from secretwarden.render.schema.zod import WIDTH, doc_comment, regex_literal, ts_key

SUFFIX = ".ts"

_TS_TYPE = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}


def _check_lines(key: str, field: SchemaField) -> list[str]:
    """One CHECKS entry, expanded as Prettier keeps an object written across lines."""
    patterns = [] if field.kind == "boolean" else [regex_literal(field, p) for p in field.patterns]
    if field.kind == "boolean":
        patterns.append("/^(?:true|false|1|0|yes|no)$/i")
    lines = [
        f"  {key}: {{",
        f"    required: {'true' if field.required else 'false'},",
        f"    kind: {json.dumps(field.kind)},",
        f"    minLength: {max(field.min_length or 1, 1)},",
    ]
    flat = f"    patterns: [{', '.join(patterns)}],"
    if len(flat) <= WIDTH:
        lines.append(flat)
    else:
        lines += ["    patterns: [", *(f"      {p}," for p in patterns), "    ],"]
    if field.minimum is not None:
        lines.append(f"    minimum: {field.minimum:g},")
    if field.maximum is not None:
        lines.append(f"    maximum: {field.maximum:g},")
    expected = f"    expected: {json.dumps(field.expected)},"
    lines += [expected] if len(expected) <= WIDTH else ["    expected:", f"      {json.dumps(field.expected)},"]
    lines.append("  },")
    return lines


def render(spec: SchemaSpec, header: list[str]) -> str:
    lines = [f"// {line}" for line in header]
    lines += ["", f"/** The environment of service `{spec.service}`. */", "export interface Env {"]
    for field in spec.fields:
        lines += doc_comment(field, "  ")
        optional = "" if field.required else "?"
        lines.append(f"  readonly {ts_key(field.name)}{optional}: {_TS_TYPE[field.kind]};")
    lines += [
        "}",
        "",
        "interface Check {",
        "  required: boolean;",
        '  kind: "string" | "integer" | "number" | "boolean";',
        "  minLength: number;",
        "  patterns: RegExp[];",
        "  minimum?: number;",
        "  maximum?: number;",
        "  expected: string;",
        "}",
        "",
        "const CHECKS: Record<string, Check> = {",
    ]
    for f in spec.fields:
        lines += _check_lines(ts_key(f.name), f)
    truthy = "|".join(TRUE_WORDS)
    lines += [
        "};",
        "",
        "function convert(",
        "  check: Check,",
        "  value: string,",
        "): string | number | boolean | undefined {",
        "  if (",
        "    value.length < check.minLength ||",
        "    !check.patterns.every((p) => p.test(value))",
        "  ) {",
        "    return undefined;",
        "  }",
        '  if (check.kind === "boolean") {',
        f"    return /^(?:{truthy})$/i.test(value);",
        "  }",
        '  if (check.kind === "string") {',
        "    return value;",
        "  }",
        "  const n = Number(value);",
        "  const inRange = (check.minimum ?? n) <= n && n <= (check.maximum ?? n);",
        "  return Number.isFinite(n) &&",
        "    inRange &&",
        '    (check.kind === "number" || Number.isInteger(n))',
        "    ? n",
        "    : undefined;",
        "}",
        "",
        f"/** Read and check the environment of `{spec.service}`; on failure name every bad key and exit 1. */",
        "export function loadEnv(",
        "  source: Record<string, string | undefined> = process.env,",
        "): Env {",
        "  const env: Record<string, string | number | boolean> = {};",
        "  const problems: string[] = [];",
        "  for (const [key, check] of Object.entries(CHECKS)) {",
        "    const value = source[key];",
        "    if (value === undefined) {",
        "      if (check.required) {",
        "        problems.push(`${key}: missing`);",
        "      }",
        "      continue;",
        "    }",
        "    const converted = convert(check, value);",
        "    if (converted === undefined) {",
        "      problems.push(`${key}: invalid, expected ${check.expected}`);",
        "    } else {",
        "      env[key] = converted;",
        "    }",
        "  }",
        "  if (problems.length > 0) {",
        "    console.error(",
        f"      `service {spec.service}: ${{problems.length}} invalid environment variable(s):\\n  ${{problems.join(\"\\n  \")}}`,",
        "    );",
        "    process.exit(1);",
        "  }",
        "  return env as unknown as Env;",
        "}",
        "",
    ]
    return "\n".join(lines)
