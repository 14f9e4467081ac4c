"""Hyperscan prefilters of the generic rules: which lines are worth their Python.

The generic rules confirm a line with several Python regexes and a scoring of
the name and value; that costs tens of microseconds a line, and a loose
prefilter (a secret word, an operator, any character) sent them ten lines for
every one that could hold a finding. These expressions ask in hyperscan for
what the rules would demand anyway, so that only those lines reach Python:

- nothing after the secret word crosses a line end (the rules read one line;
  `\\s` spans newlines, so `key',` at the end of one line and sixteen letters at
  the start of the next made a candidate of the next line);
- a quoted value has at least as many characters as the shortest value the rule
  scores (4 for passwords, 8 for other secrets), unless it is a piece of a
  concatenation (`"ab" + "..."`, read joined) or holds an escaped quote early;
  an unquoted value likewise, unless `&` follows (a YAML value may go on);
- in files of kind `code` an unquoted value that is a plain identifier
  (`token = self.token`) is an expression, never a literal: there the value
  must be quoted, wrapped (`String(`), not an identifier, or end in `;&"'`
  (inside a connection or query string), unless the line is a comment or the
  name is an upper-case environment-style `NAME=value`.

Each stricter expression still matches wherever the loose one it replaces did
and the rule could report (tests/scan/test_scan_generic_prefilters.py checks
this against generated lines), and every expression only narrows the loose one
(same start, same first character of the value), so no line is added.
"""

from __future__ import annotations

# Python's `\s` on one line, without the newline (`\v` in a hyperscan class is vertical space, newline included)
_SP = r"[\t\x0b\x0c\r \x1c-\x1f]"
_UV = r"[^\s\"'`,;)\]}<>|&]"  # a character of an unquoted value (the rules' `uv` group)
_UV_FIRST = r"[^\s\"'`,;)\]}<>|&\\]"  # ... and its first one, as the loose prefilter took it
_FIRST = r"[^\s\"'`\\]"  # the loose prefilter's first character of a value
_ID = r"[A-Za-z0-9_$.:]"  # what an identifier (`a.b`, `ns:name`) is made of
_NOT_CODE = r"\s\"'`,;(){}\[\]<>|&"  # brackets make a value code (the rules drop it)
_VALUE_END = r"(?:[\s\"'`,;)\]}<>|&]|$)"
_WRAPPED = (
    r"(?:new" + _SP + r"+)?(?:\[\]byte|String|str|Secret|SecretStr|bytes|bytearray|b64decode|base64\.b64decode|"
    r"Base64\.decode|Buffer\.from|atob|unhexlify|SecureString|Some|Ok)" + _SP + r"*\("
)
_COMMENT_LINE = r"(?im)^" + _SP + r"*(?:#|//|/\*|\*|--|;|<!--|%|rem" + _SP + r")[^\n]*"

PASSWORD_WORDS = r"(?:pass|pwd|pw)"
SECRET_WORDS = (r"(?:secret|token|cred|api[\w.\-]?key|access[\w.\-]?key|private[\w.\-]?key|auth[\w.\-]?key|"
                r"apikey|signing|encryption|master)")
WEAK_WORDS = r"(?:key|auth|nonce|salt|sig|hmac|seed|cipher|ticket)"
_WEAK_CHAR = r"[A-Za-z0-9+/=_.~\-]"


def _quoted(least: int) -> str:
    """A quoted value of at least `least` characters, or one that cannot be judged by its length here."""

    def quoted(first_of: str) -> str:
        alternatives = []
        for quote in ('\\"', "'", "`"):
            other = "[^" + quote + r"\n]"
            rest = "|".join([
                other + f"{{{least - 1}}}",
                other + f"{{0,{least - 2}}}\\\\" + quote,  # an escaped quote: the value goes on past it
                other + f"{{0,{least - 2}}}" + quote + _SP + r"*[+.]",  # a piece of a concatenation
            ])
            alternatives.append(quote + (first_of or other) + "(?:" + rest + ")")
        return "(?:" + "|".join(alternatives) + ")"

    # as the loose prefilter: a value's first character is neither a space nor a backslash, except
    # after a prefix (`b"..."`, `@"..."`), which it took as the first character; a backslash before
    # the quote is JSON inside a string
    return r"(?:\\?" + quoted(_FIRST) + r"|\\?(?:[rbuf]{1,2}|@)\\?" + quoted("") + ")"


def value(least: int) -> str:
    """A value the rules could score, in any kind of file."""
    return "(?:" + "|".join([_quoted(least), _WRAPPED, _UV_FIRST + _UV + f"{{{least - 1}}}",
                             _UV_FIRST + _UV + "*&", r"\\" + _FIRST + _UV + f"{{{least - 2}}}",
                             # the end of a concatenation's piece: `x=ab" + "cd..."` reads as one value
                             _UV_FIRST + _UV + f"{{0,{least - 2}}}" + r"[\"']" + _SP + r"*[+.]"]) + ")"


def code_value(least: int) -> str:
    """A value the rules could score in code, where an unquoted identifier is an expression."""
    return "(?:" + "|".join([
        _quoted(least), _WRAPPED,
        # a symbol: not an identifier (not `=` first: `a == 'b'` is no `a = "= 'b'"`)
        "[^" + _NOT_CODE + r"\\=][^" + _NOT_CODE + "]*[^" + _NOT_CODE + "A-Za-z0-9_$.:]",
        "[^" + _NOT_CODE + r"A-Za-z0-9_$.:\\=]",
        "[0-9]" + _UV + f"{{{least - 1}}}",  # a leading digit (a number literal is shorter or dropped)
        _ID + r"*[.:][0-9.:]",  # `a.1`, `a..b`: not an identifier either
        _ID + r"*[.:]" + _VALUE_END,
        _ID + r"+[;&\"']",  # inside a connection or query string: read as quoted
        ":",  # `:name` (a Ruby symbol) is no identifier to the rules
        r"\\" + _FIRST,  # `\001`: a backslash makes no identifier either
    ]) + ")"


def _assignment(words: str, value_expr: str, flags: str = "(?i)") -> str:
    return (flags + words + r"[\w.$@\-]{0,40}(?:\\?[\"'`]?\]?" + _SP + r"*(?::=|=>|!?={1,3}|:)|[\"']" + _SP
            + r"*,)" + _SP + r"*" + value_expr)


def _weak_assignment(value_expr: str, flags: str = "(?i)") -> str:
    return (flags + WEAK_WORDS + r"[\w.$@\-]{0,40}[\"'`]?\]?" + _SP + r"*(?::=|=>|==|=|:|,)" + _SP + r"*"
            + value_expr)


def _environment_style(upper_words: str, value_expr: str) -> str:
    """`DB_PASSWORD=...` with no space around `=` and an upper-case name: a setting even in code."""
    return r"(?:^|[^\w.$@\-])[A-Z0-9_.$@\-]*" + upper_words + r"[A-Z0-9_.$@\-]{0,40}[\"'`]?=" + value_expr


_WEAK_LOOSE = r"[\"'`]?" + _WEAK_CHAR + "{16}"


def _flag_with_equals(words: str, value_expr: str) -> str:
    """`--password=...`: a command line's flag, whose value the rules read as quoted even in code."""
    return r"(?i)(?:^|[\s\"'(\[])--?[\w\-]*" + words + r"[\w\-]{0,40}=" + value_expr


_FLAG_VALUE = r"[\"']?[^\s\"'\\`;]{3}"


def _weak_code_value() -> str:
    """Sixteen value characters (as the loose expression) that are not one identifier."""

    def times(char: str, n: int) -> str:
        return "" if n == 0 else char + f"{{{n}}}"  # hyperscan refuses `{0}`

    plain = "[A-Za-z0-9_.]"
    alternatives = [r"[\"'`]" + _WEAK_CHAR + "{16}", "[0-9]" + _WEAK_CHAR + "{15}"]
    alternatives += [times(plain, i) + r"[+/=~\-]" + times(_WEAK_CHAR, 15 - i) for i in range(16)]
    alternatives += [times(plain, i) + r"\.[0-9.]" + times(_WEAK_CHAR, 14 - i) for i in range(15)]
    longer = _WEAK_CHAR + "{16}" + _UV + "*"
    alternatives += [plain + r"{15}\." + _VALUE_END, longer + "[^" + _NOT_CODE + "A-Za-z0-9_$.:]",
                     longer + r"[.:][0-9.:]", longer + r"[.:]" + _VALUE_END, longer + r"[;&\"']"]
    return "(?:" + "|".join(alternatives) + ")"


_PASSWORD_OTHER_SYNTAXES = (
    r"(?i)(?:pass|pwd)\w*" + _SP + r"*\(" + _SP + r"*[\"'][^\"']",
    r"(?i)<[\w:.\-]*(?:pass|pwd)[\w:.\-]*(?:" + _SP + r"[^>\n]*)?>[^<\s]",
    r"(?i)(?:^|\s)(?:-u|--user)" + _SP + r"+[\"']?[^\s:\"'$]{1,64}:",
    r"(?i)(?:key|name)" + _SP + r"*=" + _SP + r"*\"[^\"\n]{0,60}(?:pass|pwd)[^\"\n]{0,30}\"" + _SP + r"+value"
    + _SP + r"*=" + _SP + r"*\"[^\"]",
    r"(?i)(?:^|[\s\"'(\[])--?[\w\-]*(?:pass|pwd)[\w\-]*" + _SP + r"+[\"']?[^\s\-]",
    r"(?i)(?:\bpassword|identified" + _SP + r"+by|ConvertTo-SecureString(?:" + _SP + r"+-String)?)" + _SP
    + r"+[\"'][^\"']",
    r"(?i)(?:password|passwd|passphrase)" + _SP + r"+(?:is|was|will" + _SP + r"+be|remains)" + _SP + r"*:?"
    + _SP + r"*[`\"'][^`\"'\s]",
    r"(?i)identified" + _SP + r"+by" + _SP + r"+[A-Za-z0-9_$#@!%^&*+=.\-]{3}",
)
_SECRET_OTHER_SYNTAXES = (
    r"(?i)(?:secret|token|key|cred)\w*" + _SP + r"*\(" + _SP + r"*(?:[\w.]{0,30}\(" + _SP
    + r"*)?[\"'][^\"'\s]{8}",
    r"(?i)<[\w:.\-]*(?:secret|token|key|auth|cred)[\w:.\-]*(?:" + _SP + r"[^>\n]*)?>[^<\s]",
    r"(?i)(?:key|name)" + _SP + r"*=" + _SP + r"*\"[^\"\n]{0,60}(?:secret|token|key|auth|cred)[^\"\n]{0,30}\""
    + _SP + r"+value" + _SP + r"*=" + _SP + r"*\"[^\"]",
    r"(?i)(?:^|[\s\"'(\[])--?[\w\-]*(?:secret|token|key|auth|cred)[\w\-]*" + _SP + r"+[\"']?[^\s\-]",
)

PASSWORD = (_assignment(PASSWORD_WORDS, value(4)), *_PASSWORD_OTHER_SYNTAXES)
PASSWORD_CODE = (
    _assignment(PASSWORD_WORDS, code_value(4)),
    _environment_style(r"(?:PASS|PWD|PW)", _UV_FIRST + _UV + "{3}"),
    _assignment(PASSWORD_WORDS, value(4), _COMMENT_LINE),
    _flag_with_equals(PASSWORD_WORDS, _FLAG_VALUE),
    *_PASSWORD_OTHER_SYNTAXES,
)
SECRET = (_assignment(SECRET_WORDS, value(8)), _weak_assignment(_WEAK_LOOSE), *_SECRET_OTHER_SYNTAXES)
SECRET_CODE = (
    _assignment(SECRET_WORDS, code_value(8)),
    _environment_style(r"(?:SECRET|TOKEN|CRED|API[\w.\-]?KEY|ACCESS[\w.\-]?KEY|PRIVATE[\w.\-]?KEY|AUTH[\w.\-]?KEY"
                       r"|APIKEY|SIGNING|ENCRYPTION|MASTER)", _UV_FIRST + _UV + "{7}"),
    _assignment(SECRET_WORDS, value(8), _COMMENT_LINE),
    _weak_assignment(_weak_code_value()),
    _environment_style(r"(?:KEY|AUTH|NONCE|SALT|SIG|HMAC|SEED|CIPHER|TICKET)", _WEAK_CHAR + "{16}"),
    _weak_assignment(_WEAK_LOOSE, _COMMENT_LINE),
    _flag_with_equals(SECRET_WORDS, _FLAG_VALUE),
    _flag_with_equals(WEAK_WORDS, r"[\"']?" + _WEAK_CHAR + "{16}"),
    *_SECRET_OTHER_SYNTAXES,
)
