"""`log-leak`: a logging, print or error call whose arguments carry a secret.

Python is read with `ast` (string contents never count); JavaScript/TypeScript
and Go calls are found per line, with string literals removed except for
`${...}` interpolations.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

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
# Attributes of a secret-holding record that describe it without revealing it.
METADATA_ATTRS = frozenset(
    ["id", "pk", "uuid", "name", "kind", "type", "length", "prefix", "last4", "hint", "scope", "scopes", "owner",
     "user", "user_id", "userId", "status", "created_at", "createdAt", "updated_at", "updatedAt", "expires_at",
     "expiresAt", "expiry", "expires", "last_used_at", "lastUsedAt", "fingerprint", "label", "description"]
)
# `${apiKey.id}` in JavaScript: the same, dropped before the identifiers are read
_JS_METADATA = re.compile(r"[\w$]+(?:\??\.[\w$]+)*\??\.(?:" + "|".join(sorted(METADATA_ATTRS)) + r")\b(?!\s*\()")


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


ENV_READERS = frozenset({"getenv", "get", "pop", "setdefault"})


@dataclass
class Scope:
    """What one function (or the module) knows: names holding a secret, names holding a constant."""

    tainted: dict[str, str] = field(default_factory=dict)  # local name -> what it holds
    constants: set[str] = field(default_factory=set)


def _env_read(call: ast.Call, ctx: LintContext) -> str | None:
    """`os.environ.get("API_KEY")`, `os.getenv("API_KEY")`, `getenv("API_KEY")` of a secret-named key."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ENV_READERS or not call.args:
        return None
    if name != "getenv" and not (isinstance(func, ast.Attribute) and "environ" in ast.unparse(func.value)):
        return None
    key = call.args[0]
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and ctx.is_secret(key.value):
        return ast.unparse(call)
    return None


def _secret_refs(node: ast.AST, ctx: LintContext, scope: Scope | None = None) -> Iterator[str]:
    """Secret values an expression carries: secret-named names, attributes and keys,
    environment reads of secret keys, `get_secret_value()`, and locals assigned from any of them."""
    scope = scope or Scope()
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if SAFE_WRAPPERS.search(name):
            return
        if name == "get_secret_value":
            yield ast.unparse(node)
            return
        read = _env_read(node, ctx)
        if read is not None:
            yield read
            return
        if name in {"format", "str", "repr", "join", "strip", "decode", "encode"}:
            if isinstance(func, ast.Attribute):
                yield from _secret_refs(func.value, ctx, scope)
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                yield from _secret_refs(arg, ctx, scope)
        return
    if isinstance(node, ast.Name):
        if node.id in scope.tainted or (node.id not in scope.constants and ctx.is_secret(node.id)):
            yield node.id
        return
    if isinstance(node, ast.Attribute):
        if ctx.is_secret(node.attr) and not node.attr.isupper():
            yield ast.unparse(node)
            return
        if node.attr in METADATA_ATTRS:
            return  # `api_key.id`, `token.expires_at`: what the record is, not the secret in it
        yield from _secret_refs(node.value, ctx, scope)
        return
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and ctx.is_secret(key.value):
            yield ast.unparse(node)
            return
        yield from _secret_refs(node.value, ctx, scope)
        return
    if isinstance(node, ast.Constant | ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        return  # a constant, or a truth value derived from the secret
    if isinstance(node, ast.IfExp):
        # `'set' if token else 'unset'` shows whether a secret exists, not what it is.
        yield from _secret_refs(node.body, ctx, scope)
        yield from _secret_refs(node.orelse, ctx, scope)
        return
    for child in ast.iter_child_nodes(node):
        yield from _secret_refs(child, ctx, scope)


def _is_text_constant(node: ast.AST) -> bool:
    """A literal message (`"invalid token"`, or an f-string of literals only)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | bytes | int | float)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    return False


def _learn(stmt: ast.stmt, ctx: LintContext, scope: Scope) -> None:
    """Follow one assignment: `pw = os.environ["DB_PASSWORD"]` taints `pw`; `TOKEN_ERR = "..."` is a constant."""
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if not names:
        return
    if _is_text_constant(value) or (isinstance(value, ast.Attribute) and value.attr in METADATA_ATTRS):
        # `token = self.id`: the name says token, the value is an id
        for name in names:
            scope.constants.add(name)
            scope.tainted.pop(name, None)
        return
    carried = next(iter(_secret_refs(value, ctx, scope)), None)
    for name in names:
        if carried is not None:
            scope.tainted[name] = carried
        else:
            scope.tainted.pop(name, None)


def _sinks(node: ast.AST) -> tuple[list[ast.expr], str] | None:
    if isinstance(node, ast.Call) and _is_log_call(node):
        return [*node.args, *(k.value for k in node.keywords)], "a log or print call"
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
        return [*node.exc.args], "an exception message"
    return None


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of one scope in source order, entering blocks but not nested functions or classes."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for field_name in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(stmt, field_name, None)
            if isinstance(inner, list):
                yield from _statements([s for s in inner if isinstance(s, ast.stmt | ast.excepthandler)])  # type: ignore[misc]


def _own_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a statement itself: a block's header (`if x:`), not the statements inside it."""
    if not hasattr(stmt, "body"):
        yield from ast.walk(stmt)
        return
    for name in ("test", "iter", "subject"):
        header = getattr(stmt, name, None)
        if isinstance(header, ast.AST):
            yield from ast.walk(header)
    for item in getattr(stmt, "items", []) or []:
        yield from ast.walk(item)


def _scope_findings(
    path: str, body: list[ast.stmt], ctx: LintContext, outer: Scope
) -> Iterator[Finding]:
    scope = Scope(dict(outer.tainted), set(outer.constants))
    nested: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = []
    for stmt in _statements(body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            nested.append(stmt)
            continue
        if isinstance(stmt, ast.excepthandler):
            continue
        for node in _own_nodes(stmt):
            sink = _sinks(node)
            if sink is None or not isinstance(node, ast.Call | ast.Raise):
                continue
            args, what = sink
            for arg in args:
                ref = next(iter(_secret_refs(arg, ctx, scope)), None)
                if ref is not None:
                    yield RULE.finding(path, node.lineno, node.col_offset + 1, f"`{ref}` reaches {what}")
                    break
        _learn(stmt, ctx, scope)
    for inner in nested:
        yield from _scope_findings(path, inner.body, ctx, scope if not isinstance(inner, ast.ClassDef) else outer)


def _python(ctx: LintContext, path: str, text: str) -> Iterator[Finding]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return
    seen: set[tuple[int, int]] = set()
    # `from google.oauth2 import id_token as sync_id_token`: an imported module or function, not a value
    imported = {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom) for alias in node.names}
    for finding in _scope_findings(path, tree.body, ctx, Scope(constants=imported)):
        if (finding.line, finding.column) not in seen:
            seen.add((finding.line, finding.column))
            yield finding


def _strip_strings(text: str) -> str:
    def keep_interpolation(match: re.Match[str]) -> str:
        literal = match.group(0)
        inner = " ".join(re.findall(r"\$\{([^}]*)\}", literal)) if literal.startswith("`") else ""
        return " " + inner + " "

    return _JS_STRING.sub(keep_interpolation, text)


JS_ENV_ASSIGN = re.compile(
    r"\b(?:const|let|var)\s+(?P<local>[A-Za-z_$][\w$]*)\s*=\s*process\.env(?:\.(?P<dot>\w+)|\[\s*['\"](?P<key>\w+)['\"]\s*\])"
)


# Expressions that show whether a secret is set, or a digest of it, not the secret.
JS_SAFE = re.compile(
    r"\b(?:Boolean|redact\w*|mask\w*|hash\w*|fingerprint\w*|digest\w*)\s*\([^()]*\)|!!\s*[\w$.]+|typeof\s+[\w$.]+|[\w$.]+\.length\b",
    re.IGNORECASE,
)


def _js_tainted(ctx: LintContext, text: str) -> set[str]:
    """Locals assigned from a secret-named `process.env` entry (`const pw = process.env.DB_PASSWORD`)."""
    return {m.group("local") for m in JS_ENV_ASSIGN.finditer(text) if ctx.is_secret(m.group("dot") or m.group("key") or "")}


def _line_calls(ctx: LintContext, path: str, text: str, call: re.Pattern[str]) -> Iterator[Finding]:
    tainted = _js_tainted(ctx, text) if "process.env" in text else set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = call.search(line)
        if match is None:
            continue
        rest = _JS_METADATA.sub(" ", JS_SAFE.sub(" ", _strip_strings(line[match.end():])))
        for ident in _IDENT.findall(rest):
            if ident in tainted or (not ident.isupper() and ctx.is_secret(ident)) or (
                ident.isupper() and "process.env" in rest and ctx.is_secret(ident)
            ):
                yield RULE.finding(path, number, match.start() + 1, f"`{ident}` reaches a log or print call")
                break


def _mentions_secret(ctx: LintContext, text: str) -> bool:
    """Cheap pre-check: does any identifier or string in the file look secret?"""
    return "get_secret_value" in text or any(ctx.is_secret(word) for word in set(_IDENT.findall(text)))


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
            "app/flow.py": "import os, logging\nlog = logging.getLogger(__name__)\n\ndef connect(settings):\n"
            "    pw = os.environ[\"DB_PASSWORD\"]\n    dsn = f\"postgres://app:{pw}@db/app\"\n"
            "    log.error(\"cannot connect with %s\", dsn)\n    print(os.environ.get(\"API_KEY\"))\n"
            "    logger.info(settings.db_password.get_secret_value())\n",
            "web/flow.js": "const pw = process.env.DB_PASSWORD;\nconsole.error('db', pw);\n",
        },
        expect=(
            ("log-leak", "app/flow.py", 7),
            ("log-leak", "app/flow.py", 8),
            ("log-leak", "app/flow.py", 9),
            ("log-leak", "app/main.py", 4),
            ("log-leak", "app/main.py", 5),
            ("log-leak", "app/main.py", 6),
            ("log-leak", "cmd/main.go", 4),
            ("log-leak", "web/flow.js", 2),
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
            "app/errors.py": "import logging\nlog = logging.getLogger(__name__)\nINVALID_TOKEN = \"the token was rejected\"\n"
            "BAD_PASSWORD_MSG = \"wrong password\"\n\ndef check(resp, client):\n    log.warning(INVALID_TOKEN)\n"
            "    raise PermissionError(BAD_PASSWORD_MSG)\n\ndef page(resp):\n"
            "    log.info('next %s', resp.next_page_token)\n    log.info('%s', client.token_endpoint)\n"
            "    pw = 'unused'\n    log.info(pw)\n",
            "web/errors.ts": "const INVALID_TOKEN = 'token rejected';\nconsole.error(INVALID_TOKEN);\n",
        },
    ),
)
RULES = (RULE,)
