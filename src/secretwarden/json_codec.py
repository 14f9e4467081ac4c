"""`json.loads` and `json.dumps` for `warden run`'s path, straight on the C scanner and encoder of `_json`.

The `json` package is a thin layer over `_json` whose import (three modules,
five patterns compiled) costs every `warden run` about 1.7 ms. For the
arguments used here `json` itself runs exactly these C functions, so the
text written and read is the same bytes (tests/test_json_codec.py compares
them): audit entries, store metadata and cache files stay verifiable across
versions. Only answers come from here: any input or value the C code turns
down is handed to `json` itself, which raises its own error (the same
message as ever) or, should it accept, answers.
"""

from __future__ import annotations

from _json import encode_basestring, encode_basestring_ascii, make_encoder, make_scanner

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from typing import Any

_WHITESPACE = " \t\n\r"  # what JSON (and `json.loads`) allows around a value


class _Decoding:
    """What the C scanner reads from `json.JSONDecoder()`: its defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


_scan = make_scanner(_Decoding())  # type: ignore[arg-type]  # typeshed names the scanner as its context; C reads these attributes


def loads(text: str | bytes | bytearray) -> Any:
    """`json.loads(text)`."""
    if not isinstance(text, str):
        if not isinstance(text, (bytes, bytearray)):
            return _json_loads(text)  # json's own TypeError
        # json reads UTF-16/32 and a UTF-8 BOM by their first bytes: such text goes to json itself.
        if text[:1] in (b"\xef", b"\xfe", b"\xff") or 0 in text[:2]:
            return _json_loads(text)
        try:
            s = text.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return _json_loads(text)
    else:
        s = text
    start = len(s) - len(s.lstrip(_WHITESPACE))
    try:
        value, end = _scan(s, start)
    except (StopIteration, ValueError):
        end = -1  # json raises its own error below, outside this handler
    if end != len(s.rstrip(_WHITESPACE)):  # not one value, or more after it (json's "Extra data")
        return _json_loads(text)
    return value


def dumps(value: Any, *, sort_keys: bool = False, separators: tuple[str, str] = (", ", ": "),
          ensure_ascii: bool = True) -> str:
    """`json.dumps(value, sort_keys=..., separators=..., ensure_ascii=...)`."""
    quote = encode_basestring_ascii if ensure_ascii else encode_basestring
    if isinstance(value, str):
        return quote(value)
    item_separator, key_separator = separators
    encode = make_encoder({}, _not_serializable, quote, None, key_separator, item_separator, sort_keys, False, True)
    try:
        return "".join(encode(value, 0))
    except (TypeError, ValueError):
        pass  # json raises its own error below, outside this handler (one traceback, not two)
    import json

    return json.dumps(value, sort_keys=sort_keys, separators=separators, ensure_ascii=ensure_ascii)


def _not_serializable(value: object) -> object:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _json_loads(text: str | bytes | bytearray) -> Any:
    import json

    return json.loads(text)
