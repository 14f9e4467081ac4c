"""`log-leak`: a logging, print or error call whose arguments carry a secret.

Python is read with `ast` (string contents never count); JavaScript/TypeScript
and Go calls are found per line, with string literals removed except for
`${...}` interpolations.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "trace"})
_LOGGERISH = re.compile(r"log|console", re.IGNORECASE)
# Calls that turn a secret into something safe to show.
SAFE_WRAPPERS = re.compile(r"(redact|mask|hash|digest|fingerprint|len|bool|type|preview|sha\d*|hmac)", re.IGNORECASE)

JS_CALL = re.compile(r"\b(?:console\.(?:log|info|warn|error|debug|trace)|\w*[lL]og(?:ger)?\.(?:info|warn|warning|error|debug|trace|fatal|log))\s*\(")
GO_CALL = re.compile(
    r"\b(?:log|fmt|slog|\w*[lL]og\w*)\.(?:Print|Printf|Println|Fatal|Fatalf|Fatalln|Panic|Panicf|Info|Infof|Debug|Debugf|"
    r"Warn|Warnf|Error|Errorf|Fprintf|Fprintln)\s*\("
)
_JS_STRING = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`(?:\\.|[^`\\])*`")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")


def _is_log_call(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "print"
    if not isinstance(func, ast.Attribute):
        return False
    base = ast.unparse(func.value)
    if func.attr in LOG_METHODS and _LOGGERISH.search(base):
        return True
    if func.attr in {"echo", "secho"} and base == "click":
        return True
    return func.attr == "write" and base in {"sys.stdout", "sys.stderr"}


def _secret_refs(node: ast.AST, ctx: LintContext) -> Iterator[str]:
    """Secret-named names, attributes and string keys reachable without passing a call."""
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if SAFE_WRAPPERS.search(name):
            return
        if name in {"format", "str", "repr", "join"}:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                yield from _secret_refs(arg, ctx)
        return
    if isinstance(node, ast.Name):
        if ctx.is_secret(node.id):
            yield node.id
        return
    if isinstance(node, ast.Attribute):
        if ctx.is_secret(node.attr):
            yield ast.unparse(node)
            return
        yield from _secret_refs(node.value, ctx)
        return
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and ctx.is_secret(key.value):
            yield ast.unparse(node)
            return
        yield from _secret_refs(node.value, ctx)
        return
    if isinstance(node, ast.Constant | ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        return  # a constant, or a truth value derived from the secret
    if isinstance(node, ast.IfExp):
        # `'set' if token else 'unset'` shows whether a secret exists, not what it is.
        yield from _secret_refs(node.body, ctx)
        yield from _secret_refs(node.orelse, ctx)
        return
    for child in ast.iter_child_nodes(node):
        yield from _secret_refs(child, ctx)


def _python(ctx: LintContext, path: str, text: str) -> Iterator[Finding]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return
    for node in ast.walk(tree):
        args: list[ast.expr] = []
        what = "a log or print call"
        if not isinstance(node, ast.Call | ast.Raise):
            continue
        if isinstance(node, ast.Call) and _is_log_call(node):
            args = [*node.args, *(k.value for k in node.keywords)]
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            args = [*node.exc.args]
            what = "an exception message"
        for arg in args:
            for ref in _secret_refs(arg, ctx):
                yield RULE.finding(path, node.lineno, node.col_offset + 1, f"`{ref}` reaches {what}")
                break


def _strip_strings(text: str) -> str:
    def keep_interpolation(match: re.Match[str]) -> str:
        literal = match.group(0)
        inner = " ".join(re.findall(r"\$\{([^}]*)\}", literal)) if literal.startswith("`") else ""
        return " " + inner + " "

    return _JS_STRING.sub(keep_interpolation, text)


def _line_calls(ctx: LintContext, path: str, text: str, call: re.Pattern[str]) -> Iterator[Finding]:
    for number, line in enumerate(text.splitlines(), start=1):
        match = call.search(line)
        if match is None:
            continue
        rest = _strip_strings(line[match.end():])
        for ident in _IDENT.findall(rest):
            if ctx.is_secret(ident):
                yield RULE.finding(path, number, match.start() + 1, f"`{ident}` reaches a log or print call")
                break


def _mentions_secret(ctx: LintContext, text: str) -> bool:
    """Cheap pre-check: does any identifier or string in the file look secret?"""
    return any(ctx.is_secret(word) for word in set(_IDENT.findall(text)))


def check(ctx: LintContext) -> Iterator[Finding]:
    for path, lang in ctx.source_files():
        text = ctx.text(path)
        if not text or not _mentions_secret(ctx, text):
            continue
        if lang == "python":
            yield from _python(ctx, path, text)
        elif lang == "js":
            yield from _line_calls(ctx, path, text, JS_CALL)
        else:
            yield from _line_calls(ctx, path, text, GO_CALL)


RULE = Rule(
    id="log-leak",
    title="Secret reaching a log, print or error message",
    severity="error",
    rationale="Logs, error messages and traces are copied to places with far weaker access control than the store.",
    fix="Log the key's name or a fingerprint, never its value.",
    check=check,
    failing=Example(
        files={
            "app/main.py": "import logging, os\nlogger = logging.getLogger(__name__)\n"
            "token = os.environ['API_TOKEN']\nlogger.info(f\"token={token}\")\n"
            "print('db', settings.db_password)\nraise RuntimeError(f\"bad {os.environ['JWT_SECRET']}\")\n",
            "web/server.ts": "const apiKey = process.env.STRIPE_API_KEY;\nconsole.log(`key ${apiKey}`);\n",
            "cmd/main.go": "package main\n\nfunc main() {\n\tlog.Printf(\"pw %s\", dbPassword)\n}\n",
        },
        expect=(
            ("log-leak", "app/main.py", 4),
            ("log-leak", "app/main.py", 5),
            ("log-leak", "app/main.py", 6),
            ("log-leak", "cmd/main.go", 4),
            ("log-leak", "web/server.ts", 2),
        ),
    ),
    passing=Example(
        files={
            "app/main.py": "import logging\nlogger = logging.getLogger(__name__)\n"
            "logger.info('token loaded, %d chars', len(token))\nlogger.info('using %s', secret_name)\n"
            "print('token')\n"
            "click.echo(f\"auth {'on' if api_token else 'off'}, {api_token is None}, {not api_token}\")\n",
            "web/server.ts": "console.log('apiKey is set:', Boolean(process.env.X), 'token');\n",
            "cmd/main.go": "package main\n\nfunc main() {\n\tlog.Printf(\"token ttl %s\", tokenTTL)\n}\n",
        },
    ),
)
RULES = (RULE,)
