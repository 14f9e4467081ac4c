"""YAML inputs other than the contract whose scalars the safe constructors cannot build.

libyaml's safe loader calls int() and date() on plain scalars: an integer past
Python's 4300-digit limit or a date that does not exist (2021-02-30) raised
ValueError, which `warden import` (values file and --mapping) and the SOPS
configuration reported as an internal error (exit 4).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_warden
from tests.hostile.support import assert_clear_error, ready_project

BAD_SCALARS = ["1" * 5000, "2021-02-30"]


@pytest.mark.parametrize("scalar", BAD_SCALARS)
def test_import_of_a_yaml_file_with_an_unbuildable_value(project: Path, scalar: str) -> None:
    ready_project(project)
    source = project.parent / "legacy.yaml"
    source.write_text(f"API_TOKEN: {scalar}\n")
    r = run_warden("-c", project, "import", source, "--env", "dev", "--namespace", "api", "--dry-run")
    first = assert_clear_error(r, 2)
    assert str(source) in first and scalar not in r.output


@pytest.mark.parametrize("scalar", BAD_SCALARS)
def test_import_mapping_with_an_unbuildable_value(project: Path, scalar: str) -> None:
    ready_project(project)
    source = project.parent / "legacy.env"
    source.write_text("API_TOKEN=abc\n")
    mapping = project.parent / "mapping.yaml"
    mapping.write_text(f"API_TOKEN: {scalar}\n")
    r = run_warden("-c", project, "import", source, "--env", "dev", "--mapping", mapping, "--dry-run")
    assert_clear_error(r, 2)
    assert scalar not in r.output


def test_library_load_refuses_with_an_input_error() -> None:
    import yaml

    from secretwarden import safe_yaml
    from secretwarden.errors import InputError

    for scalar in BAD_SCALARS:
        with pytest.raises(InputError) as info:
            safe_yaml.load(f"a: {scalar}\n", name="x.yaml")
        assert isinstance(info.value, yaml.YAMLError) and scalar not in info.value.message
        with pytest.raises(InputError):
            safe_yaml.load_all(f"a: 1\n---\nb: {scalar}\n")
    assert safe_yaml.load("a: '2021-02-30'\n") == {"a": "2021-02-30"}
