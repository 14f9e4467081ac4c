"""Engine behaviour: positions, allow markers, decoding, odd input. Hypothesis where inputs vary."""

from __future__ import annotations

import base64
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.scan import decode
from secretwarden.scan.engine import get_engine
from secretwarden.scan.runner import scan_bytes
from tests.scan.scan_helpers import fake

FILLER = st.text(alphabet=st.sampled_from(list("abc xyz_=.;:(){}\n\t-")), max_size=3000)


def test_line_and_column_are_exact() -> None:
    token = fake("ghp_{alnum:36}")
    text = f"a = 1\n\nb = 2\n    token = '{token}'\n"
    [f] = get_engine().scan(text.encode(), "x.py").findings
    assert (f.line, f.column) == (4, 14)
    assert f.secret == token
    assert f.preview == token[:4] + "********"


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(before=FILLER, after=FILLER)
def test_found_wherever_it_sits(before: str, after: str) -> None:
    token = fake("xoxb-{digits:12}-{digits:13}-{alnum:24}")
    text = f"{before}\nslack = {token}\n{after}"
    findings = get_engine().scan(text.encode(), "x.env").findings
    hits = [f for f in findings if f.rule_id == "slack-token"]
    assert len(hits) == 1
    assert hits[0].line == before.count("\n") + 2


def test_allow_marker_same_line_and_previous_line() -> None:
    token = fake("ghp_{alnum:36}")
    same = f"t = '{token}'  # warden:allow\n"
    prev = f"# warden:allow github-token\nt = '{token}'\n"
    other_rule = f"t = '{token}'  # warden:allow slack-token\n"
    engine = get_engine()
    assert engine.scan(same.encode(), "a.py").findings == []
    assert engine.scan(same.encode(), "a.py").allowed == 1
    assert engine.scan(prev.encode(), "a.py").findings == []
    assert [f.rule_id for f in engine.scan(other_rule.encode(), "a.py").findings] == ["github-token"]


def test_base64_encoded_secret_is_found() -> None:
    token = fake("ghp_{alnum:36}")
    encoded = base64.b64encode(f"GITHUB_TOKEN={token}\n".encode()).decode()
    text = f"apiVersion: v1\nkind: Secret\ndata:\n  env: {encoded}\n"
    [f] = get_engine().scan(text.encode(), "secret.yaml").findings
    assert f.rule_id == "github-token" and f.decoded == "base64" and f.line == 4


def test_percent_encoded_secret_is_found() -> None:
    password = fake("{alnum:14}")
    url = quote(f"postgres://app:{password}@db.internal:5432/app", safe="")
    text = f"link = https://x.internal/?next={url}\n"
    findings = get_engine().scan(text.encode(), "a.txt").findings
    assert any(f.rule_id == "database-url" and f.decoded == "percent" for f in findings)


@given(st.binary(max_size=400))
def test_decoder_never_raises(data: bytes) -> None:
    list(decode.base64_runs(data))
    decode.percent_decode(data)
    decode.decode_base64(data)


@given(st.text(min_size=8, max_size=200).filter(lambda s: s.isprintable()))
def test_base64_roundtrip_of_text(text: str) -> None:
    raw = text.encode()
    token = base64.b64encode(raw)
    got = decode.decode_base64(token)
    if got is not None:
        assert got == raw


def test_nul_bytes_are_skipped_with_a_notice() -> None:
    findings, notices, _ = scan_bytes(b"\x00\x01" + fake("ghp_{alnum:36}").encode(), "blob.bin")
    assert findings == [] and "binary" in notices[0]


def test_invalid_utf8_is_scanned_and_noted() -> None:
    data = b"caf\xe9 = 1\ntoken = " + fake("ghp_{alnum:36}").encode() + b"\n"
    findings, notices, _ = scan_bytes(data, "latin1.txt")
    assert [f.rule_id for f in findings] == ["github-token"]
    assert any("UTF-8" in n for n in notices)


def test_enormous_single_line_does_not_crash() -> None:
    token = fake("ghp_{alnum:36}")
    data = ("x" * 300_000 + f" '{token}' " + "y" * 300_000).encode()
    out = get_engine().scan(data, "bundle.min.js")
    assert [f.rule_id for f in out.findings] == ["github-token"]
    assert out.notices


def test_private_key_spans_lines() -> None:
    key = fake("-----BEGIN RSA PRIVATE KEY-----{nl}{b64:64}{nl}{b64:64}{nl}{b64:10}=={nl}-----END RSA PRIVATE KEY-----")
    [f] = get_engine().scan(("x\n" + key + "\n").encode(), "id_rsa.txt").findings
    assert f.rule_id == "private-key" and f.line == 2 and f.end_line == 6
