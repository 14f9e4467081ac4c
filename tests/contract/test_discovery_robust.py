"""Robustness: no input makes a source crash, and discovery survives hostile trees."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.contract.discovery import discover
from secretwarden.contract.discovery.model import KEY_NAME_RE
from secretwarden.contract.discovery.sources import SourceError, load_sources, source_kinds

# One path per source that it wants, so every parser sees the text.
PATHS = {
    "python": "a.py",
    "javascript": "a.ts",
    "go": "a.go",
    "ruby": "a.rb",
    "java": "A.java",
    "shell": "a.sh",
    "dotenv": ".env.example",
    "compose": "docker-compose.yml",
    "kubernetes": "a.yaml",
    "external-secret": "a.yaml",
    "helm": "values.yaml",
    "github-actions": ".github/workflows/ci.yml",
    "dockerfile": "Dockerfile",
    "spring": "application.yml",
}
# Fragments that steer random text into the interesting branches of each parser.
FRAGMENTS = [
    "os.environ[", "process.env.", "const {", "} = process.env", "ENV.fetch(", "System.getenv(",
    "os.Getenv(", "$", "${", "\"", "'", "\n", "  ", "- ", ": ", "{{", "}}", "[", "]", "{", "}",
    "secretKeyRef", "valueFrom", "envFrom", "secretRef", "name", "key", "kind: ExternalSecret",
    "ExternalSecret", "secretKey", "remoteRef", "existingSecret", "services", "environment",
    "${{ secrets.", "secrets['", "ARG ", "ENV ", "--mount=type=secret,id=",
    "BaseSettings", "class S(BaseSettings):\n", "    x: int\n", "&a ", "*a ", "!!python/object ",
    "A_KEY", "=", "#", "\t", "\0", "\ufeff",
]
text_strategy = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join),
    st.binary(max_size=400).map(lambda b: b.decode("utf-8", errors="replace")),
)


def test_every_source_is_fuzzed() -> None:
    assert set(PATHS) == set(source_kinds())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=text_strategy)
def test_sources_never_crash(text: str) -> None:
    for source in load_sources():
        path = PurePosixPath(PATHS[source.KIND])
        assert source.wants(path)
        try:
            hits = list(source.scan(text, path))
        except SourceError:
            continue  # a reported, skipped file: the allowed failure
        lines = text.count("\n") + 1
        for hit in hits:
            assert 1 <= hit.line <= lines
            assert hit.name


def test_discover_survives_hostile_files(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    # An alias bomb: expanding it would take forever; walking nodes must not.
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    (repo / "bomb.yaml").write_text(bomb + "secretKeyRef: {name: s}\n")
    (repo / "deep.yaml").write_text("[" * 20000 + "secretKeyRef")
    (repo / "self.yaml").write_text("a: &a {secretKeyRef: {key: K}, b: *a}\n")
    (repo / "bad-utf8.py").write_bytes(b'os.getenv("OK_KEY")\n\xff\xfe os.getenv("\xff")\n')
    (repo / "loop").symlink_to(repo)
    (repo / "out.py").symlink_to("/etc/hostname")
    inventory = discover(repo)
    names = {n for names in inventory.by_service().values() for n in names}
    assert "OK_KEY" in names
    assert all(KEY_NAME_RE.fullmatch(n) for n in names)
    assert any(s.path == "deep.yaml" for s in inventory.skipped)
