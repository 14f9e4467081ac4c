"""Every YAML Warden reads goes through safe_yaml: bombs are refused before anything expands them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from secretwarden import safe_yaml
from secretwarden.errors import EXIT_USAGE
from tests.conftest import run_warden

READERS = [safe_yaml.compose, safe_yaml.compose_all, safe_yaml.load, safe_yaml.load_all]


def laughs(levels: int = 9, width: int = 9) -> str:
    """The classic billion-laughs shape: each level lists the previous one `width` times."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("read", READERS)
def test_billion_laughs_is_refused_by_every_reader(read: object) -> None:
    with pytest.raises(safe_yaml.YamlLimitExceeded) as err:
        read(laughs(), name="bomb.yaml")  # type: ignore[operator]
    assert "bomb.yaml" in err.value.message and "aliases expand" in err.value.message
    assert "\n" not in err.value.message and "lol" not in err.value.message


def test_a_refusal_is_both_a_usage_error_and_a_yaml_error() -> None:
    # Callers that already treat unparsable YAML as a finding keep doing so; the CLI exits 2.
    with pytest.raises(yaml.YAMLError) as err:
        safe_yaml.load(laughs())
    assert isinstance(err.value, safe_yaml.YamlLimitExceeded) and err.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("&a [*a]", "endless"),
        ("a: &a {b: [1, *a]}", "endless"),
        ("- &x [1]\n" + "- *x\n" * 25, "aliases"),
        ("- &x " + "[" * 12 + "1" + "]" * 12 + "\n- *x\n", "nesting"),
        ("x" * 300, "characters"),
    ],
)
def test_each_bound_holds(text: str, bound: str) -> None:
    small = safe_yaml.YamlLimits(max_chars=180, max_aliases=20, max_alias_nodes=1_000, max_depth=10)
    with pytest.raises(safe_yaml.YamlLimitExceeded) as err:
        safe_yaml.load(text, limits=small)
    assert bound in err.value.message


def test_the_budget_is_shared_by_the_documents_of_one_file() -> None:
    one = "- &x [1, 2, 3, 4, 5, 6, 7, 8, 9]\n- *x\n- *x\n"
    small = safe_yaml.YamlLimits(max_alias_nodes=50)
    assert safe_yaml.load_all(one, limits=small)
    with pytest.raises(safe_yaml.YamlLimitExceeded):
        safe_yaml.load_all("---\n".join([one] * 4), limits=small)


def test_ordinary_aliases_and_merge_keys_still_work() -> None:
    text = "base: &b {image: app, port: 80}\nweb:\n  <<: *b\n  port: 8080\nalso: *b\n"
    assert safe_yaml.load(text) == {
        "base": {"image": "app", "port": 80},
        "web": {"image": "app", "port": 8080},
        "also": {"image": "app", "port": 80},
    }
    many = "a: 1\n---\n---\nb: [x, y]\n"
    assert safe_yaml.load_all(many) == list(yaml.safe_load_all(many))
    node = safe_yaml.compose("key: value\n")
    assert node.start_mark.line == 0 and node.value[0][1].value == "value"
    assert safe_yaml.compose("") is None and safe_yaml.load("") is None


def test_validate_status_and_ci_refuse_a_bomb_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "warden.yaml").write_text(laughs())
    for args in (["validate"], ["status", "--env", "dev"], ["ci"]):
        result = run_warden(*args, cwd=tmp_path, timeout=30)
        assert result.returncode == EXIT_USAGE, (args, result.output)
        assert "aliases expand" in result.output and "lol" not in result.output


def test_a_deeply_nested_contract_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "warden.yaml").write_text("x: " + "[" * 999 + "]" * 999 + "\n")
    result = run_warden("validate", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE and "nested too deeply" in result.stderr


def test_lint_reports_a_bomb_as_a_file_problem(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text(laughs())
    result = run_warden("lint", ".", cwd=tmp_path, timeout=30)
    assert result.returncode in (0, 1), result.output
    assert "values.yaml:1:1" in result.stdout and "aliases expand" in result.stdout


def test_init_discovery_skips_a_bomb() -> None:
    from secretwarden.contract.discovery.sources import yamldocs
    from secretwarden.contract.discovery.sources.base import SourceError

    with pytest.raises(SourceError):
        yamldocs.documents(laughs())


def test_sops_files_and_rules_refuse_a_bomb(tmp_path: Path) -> None:
    from secretwarden.errors import InputError
    from secretwarden.stores.sops.config import load_rules
    from secretwarden.stores.sops.files import parse_view

    with pytest.raises(InputError) as err:
        parse_view(tmp_path / "app.enc.yaml", laughs(), "yaml")
    assert "app.enc.yaml" in err.value.message
    rules = tmp_path / ".sops.yaml"
    rules.write_text(laughs())
    with pytest.raises(InputError) as err:
        load_rules(rules)
    assert ".sops.yaml" in err.value.message
