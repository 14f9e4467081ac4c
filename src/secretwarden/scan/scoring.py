"""Measures of how random a candidate value looks.

A secret is chosen by a machine (or by a person trying to look like one); a
label, identifier or sentence is made of words. These functions put numbers on
that difference so that filters and rules can decide with thresholds.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_VOWELS = frozenset("aeiouy")
_WORD_SPLIT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")
# Letter pairs that (almost) never occur inside English or code words; a value
# full of them was not typed as words.
_RARE_BIGRAMS = frozenset(
    ["bq", "bx", "cj", "cv", "cx", "dx", "fq", "fx", "fz", "gq", "gx", "hx", "jb", "jc", "jd", "jf", "jg", "jh", "jk", "jl", "jm", "jn", "jp", "jq", "jr", "js", "jt", "jv", "jw", "jx", "jy", "jz", "kq", "kx", "kz", "lx", "mq", "mx", "mz", "pq", "px", "pz", "qb", "qc", "qd", "qe", "qf", "qg", "qh", "qj", "qk", "ql", "qm", "qn", "qo", "qp", "qq", "qr", "qs", "qt", "qv", "qw", "qx", "qy", "qz", "sx", "sz", "tq", "tx", "vb", "vc", "vd", "vf", "vg", "vh", "vj", "vk", "vm", "vn", "vp", "vq", "vt", "vw", "vx", "vz", "wq", "wx", "wz", "xb", "xd", "xg", "xj", "xk", "xr", "xz", "yq", "yz", "zb", "zc", "zd", "zf", "zg", "zj", "zk", "zm", "zn", "zp", "zq", "zr", "zs", "zt", "zv", "zw", "zx"]
)


def shannon_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def char_classes(value: str) -> int:
    """How many of lower, upper, digit, other are present (0-4)."""
    lower = upper = digit = other = 0
    for ch in value:
        if ch.islower():
            lower = 1
        elif ch.isupper():
            upper = 1
        elif ch.isdigit():
            digit = 1
        else:
            other = 1
    return lower + upper + digit + other


def word_parts(value: str) -> list[str]:
    """Split identifiers and phrases into lowercase word-ish parts (camel, snake, kebab)."""
    return [p.lower() for p in _WORD_SPLIT.findall(value)]


_SHORT_WORDS = frozenset(
    ["a", "i", "an", "as", "at", "be", "by", "db", "do", "go", "id", "if", "in", "io", "is", "it", "me", "my", "no", "of", "ok", "on", "or", "so", "to", "up", "us", "we", "ui", "os", "pw"]
)


# The most frequent letter pairs of English and of code identifiers. Words are
# mostly made of them; random strings only by chance (about one pair in six).
_COMMON_BIGRAMS = frozenset(
    ["th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed", "is", "it", "al", "ar", "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co", "me", "de", "hi", "ri", "ro", "ic", "ne", "ea", "ra", "ce", "li", "ch", "ll", "be", "ma", "si", "om", "ur", "ca", "el", "ta", "la", "ns", "di", "fo", "ho", "pe", "ec", "pr", "no", "ct", "us", "ac", "ot", "il", "tr", "ly", "nc", "et", "ut", "ss", "so", "rs", "un", "lo", "wa", "ge", "ie", "wh", "ee", "wi", "em", "ad", "ol", "rt", "po", "we", "na", "ul", "ni", "ts", "mo", "ow", "pa", "im", "mi", "ai", "sh", "ir", "su", "id", "os", "iv", "ia", "am", "fi", "ci", "vi", "pl", "ig", "tu", "ev", "ld", "ry", "mp", "fe", "bl", "ab", "gh", "ty", "op", "wo", "sa", "ay", "ex", "ke", "fr", "oo", "av", "ag", "if", "ap", "gr", "od", "bo", "sp", "rd", "do", "uc", "bu", "ei", "ov", "by", "rm", "ep", "tt", "oc", "fa", "ef", "cu", "rn", "sc", "gi", "da", "yo", "cr", "cl", "du", "ga", "qu", "ue", "ff", "ba", "ey", "ls", "va", "um", "pp", "ua", "up", "lu", "go", "ht", "ru", "ug", "ds", "lt", "pi", "rc", "rr", "eg", "au", "ck", "ew", "mu", "br", "bi", "pt", "ak", "pu", "ys", "ql", "sq", "my"]
)


def _common_pairs(part: str) -> float:
    pairs = [part[i : i + 2] for i in range(len(part) - 1)]
    return sum(1 for p in pairs if p in _COMMON_BIGRAMS) / len(pairs) if pairs else 0.0


def _pronounceable(part: str) -> bool:
    if len(part) <= 2:
        return part in _SHORT_WORDS
    if _common_pairs(part) < 0.5:
        return False
    vowels = sum(1 for ch in part if ch in _VOWELS)
    ratio = vowels / len(part)
    if not 0.15 <= ratio <= 0.75:
        return False
    if _CONSONANT_RUN.search(part):
        return False
    return not any(part[i : i + 2] in _RARE_BIGRAMS for i in range(len(part) - 1))


def word_likeness(value: str) -> float:
    """Share of the value's letters that sit in pronounceable word-like parts (0..1).

    `databaseConnectionString` scores 1.0, `hunter2` about 0.85, `x8Kq2Zv9LmP4`
    near 0. Digits are neutral: they are not letters.
    """
    parts = [p for p in _WORD_SPLIT.findall(value) if not p.isdigit()]
    letters = sum(len(p) for p in parts)
    if letters == 0:
        return 0.0
    wordy = 0
    for part in parts:
        if _pronounceable(part.lower()):
            wordy += len(part)
    # Many one- and two-letter parts (`aB3xK9q`) are what random mixed case looks like.
    short = sum(len(p) for p in parts if len(p) <= 2)
    if short * 2 > letters:
        return min(wordy / letters, 0.3)
    return wordy / letters


def randomness(value: str) -> float:
    """One score in 0..1 for 'looks machine-generated', from entropy, classes and length."""
    if not value:
        return 0.0
    n = len(value)
    ent = shannon_entropy(value)
    # The highest entropy a string of this length can show (all characters distinct).
    max_ent = math.log2(min(n, 64)) if n > 1 else 1.0
    ent_score = min(1.0, ent / max(1.0, min(max_ent, 4.5)))
    class_score = (char_classes(value) - 1) / 3
    word_penalty = word_likeness(value)
    length_score = min(1.0, n / 24)
    score = 0.45 * ent_score + 0.25 * class_score + 0.3 * length_score
    return max(0.0, min(1.0, score * (1.0 - 0.6 * word_penalty)))
