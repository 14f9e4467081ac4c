"""Python with pydantic-settings: a `BaseSettings` class with `SecretStr` fields and `load_settings()`.

Shapes (format patterns, minimum lengths) sit in one table checked by a
`before` validator, so every field line stays short and the module is
already in `black`/`ruff format` style.
"""

from __future__ import annotations

import json
import keyword
import re
import textwrap

from secretwarden.render.schema.spec import SchemaField, SchemaSpec, unique_name

SUFFIX = ".py"

_PY_TYPE = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_BOOLEAN = "(?i:true|false|1|0|yes|no)"


def _literal(text: str) -> str:
    """A raw string literal where one can hold the text, else an escaped one."""
    if '"' not in text and "\n" not in text and not re.search(r"(?<!\\)(?:\\\\)*\\$", text):
        return f'r"{text}"'
    return json.dumps(text)


def _attribute(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name).lower().lstrip("_") or "key"
    if keyword.iskeyword(base) or base.startswith("model_"):
        base += "_"
    return unique_name(base, taken, "_")


def _class_name(service: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", service) if part) + "Settings"


def _field_lines(attr: str, field: SchemaField) -> list[str]:
    kind = "SecretStr" if field.sensitive else _PY_TYPE[field.kind]
    kind = kind if field.required else f"{kind} | None"
    args = ([] if field.required else ["None"]) + [f"validation_alias={json.dumps(field.name)}"]
    if kind.startswith(("int", "float")):
        args += [f"{name}={value:g}" for name, value in (("ge", field.minimum), ("le", field.maximum))
                 if value is not None]
    one = f"    {attr}: {kind} = Field({', '.join(args)})"
    if len(one) <= 88:
        return [one]
    inner = f"        {', '.join(args)}"
    if len(inner) <= 88:
        return [f"    {attr}: {kind} = Field(", inner, "    )"]
    return [f"    {attr}: {kind} = Field(", *(f"        {a}," for a in args), "    )"]


def _shape_lines(field: SchemaField) -> list[str]:
    patterns = [_BOOLEAN] if field.kind == "boolean" else list(field.patterns)
    lines = [f"    {json.dumps(field.name)}: Shape(", f"        expected={json.dumps(field.expected)},"]
    if (field.min_length or 1) > 1:
        lines.append(f"        min_length={field.min_length},")
    if len(patterns) == 1 and len(f"        patterns=({_literal(patterns[0])},),") <= 88:
        lines.append(f"        patterns=({_literal(patterns[0])},),")
    elif patterns:
        lines += ["        patterns=(", *(f"            {_literal(p)}," for p in patterns), "        ),"]
    lines.append("    ),")
    return lines


def render(spec: SchemaSpec, header: list[str]) -> str:
    cls = _class_name(spec.service)
    lines = ['"""' + header[0], "", *header[1:], '"""', ""]
    lines += [
        "import re",
        "import sys",
        "from typing import NamedTuple",
        "",
        "from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator",
        "from pydantic_settings import BaseSettings, SettingsConfigDict",
        "",
        "",
        "class Shape(NamedTuple):",
        '    """What a valid value looks like, checked the way `warden check` checks it."""',
        "",
        "    expected: str",
        "    min_length: int = 1",
        "    patterns: tuple[str, ...] = ()",
        "",
        "    def admits(self, value: str) -> bool:",
        "        return len(value) >= self.min_length and all(",
        "            re.fullmatch(p, value, re.DOTALL) for p in self.patterns",
        "        )",
        "",
        "",
        "SHAPES: dict[str, Shape] = {",
    ]
    for field in spec.fields:
        lines += _shape_lines(field)
    lines += [
        "}",
        "",
        "",
        f"class {cls}(BaseSettings):",
        f'    """The environment of service `{spec.service}`."""',
        "",
        '    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)',
        "",
    ]
    taken: set[str] = set()
    for field in spec.fields:
        if field.description:
            lines += textwrap.wrap(" ".join(field.description.split()), 84, initial_indent="    # ",
                                   subsequent_indent="    # ")
        lines += _field_lines(_attribute(field.name, taken), field)
    lines += [
        "",
        '    @field_validator("*", mode="before")',
        "    @classmethod",
        "    def _shape(cls, value: object, info: ValidationInfo) -> object:",
        "        # Runs on the raw text; the message never quotes the value.",
        "        alias = cls.model_fields[info.field_name or \"\"].validation_alias",
        "        shape = SHAPES.get(alias) if isinstance(alias, str) else None",
        "        if shape is not None and isinstance(value, str) and not shape.admits(value):",
        '            raise ValueError(f"expected {shape.expected}")',
        "        return value",
        "",
        "",
        f"def load_settings() -> {cls}:",
        '    """Read and check the environment; on failure name every bad key and exit 1."""',
        "    try:",
        f"        return {cls}()",
        "    except ValidationError as exc:",
        "        problems = []",
        "        for error in exc.errors(include_input=False, include_url=False):",
        '            key = ".".join(str(part) for part in error["loc"])',
        '            why = error["msg"].removeprefix("Value error, ")',
        '            missing = error["type"] == "missing"',
        '            problems.append(f"{key}: missing" if missing else f"{key}: invalid, {why}")',
        '        listing = "".join(f"\\n  {problem}" for problem in problems)',
        f'        title = "service {spec.service}: invalid environment"',
        '        print(f"{title} ({len(problems)} variable(s)):{listing}", file=sys.stderr)',
        "        raise SystemExit(1) from None",
        "",
    ]
    return "\n".join(lines)
