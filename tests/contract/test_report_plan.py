"""The compiled report plan: the same reads as `requirements()`, sealed, and a miss whenever an input changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from secretwarden.contract import loader, report_plan
from secretwarden.contract.plan import expected_slots, requirements
from tests.ops.test_reports_golden import CONTRACT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "repo" / "warden.yaml"
    path.parent.mkdir()
    path.write_text(CONTRACT)
    return path


def fresh(path: Path) -> report_plan.ReportPlan:
    """What a new process gets: nothing held in memory."""
    loader._LAST_LOADED.clear()
    report_plan._LAST.clear()
    return report_plan.report_plan(loader.load_contract(path))


def plan_files(home: Path) -> list[Path]:
    return sorted((home / "cache" / "reports").glob("*.bin"))


def test_the_columns_are_what_requirements_resolves(project: Path) -> None:
    loaded = loader.load_contract(project)
    plan = fresh(project)
    for env, cols in plan.envs.items():
        reqs = requirements(loaded.contract, env)
        assert cols.store == loaded.contract.store_for(env)
        assert [
            (r.service, r.slot.instance, r.var, r.slot.namespace, r.slot.key, r.required, r.sensitive, r.digest,
             r.owner, r.via_ref, r.rotate_every.total_seconds() if r.rotate_every else None)
            for r in reqs
        ] == [row[:11] for row in cols.rows()]
        slots = expected_slots(reqs)
        assert [(s.namespace, s.key, s.instance) for s in slots] == [row[:3] for row in cols.slot_rows()]
        for row, group in zip(cols.slot_rows(), slots.values(), strict=True):
            assert row[3] == sorted({r.service for r in group})
    assert plan.namespaces["old"].deprecated and plan.namespaces["old"].hold_until is not None
    assert plan.keys[("api", "SHORT_PIN")].guaranteed == 4


def test_a_second_process_reads_the_sealed_file(project: Path, isolated_home: Path) -> None:
    first = fresh(project)
    (written,) = plan_files(isolated_home)
    assert written.stat().st_mode & 0o777 == 0o600
    stamp = written.stat().st_mtime_ns
    again = fresh(project)
    assert again == first
    assert written.stat().st_mtime_ns == stamp  # read, not compiled and written again


def test_a_tampered_plan_is_a_miss(project: Path, isolated_home: Path) -> None:
    honest = fresh(project)
    (written,) = plan_files(isolated_home)
    mac, body = written.read_bytes().split(b"\n", 1)
    assert b"team-pay" in body
    written.write_bytes(mac + b"\n" + body.replace(b"team-pay", b"team-bad"))  # still well-formed marshal data
    assert fresh(project) == honest
    assert b"team-bad" not in written.read_bytes()  # compiled again and rewritten


def test_each_input_keys_the_plan(project: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import secretwarden

    fresh(project)
    assert len(plan_files(isolated_home)) == 1
    # the contract's bytes
    project.write_text(CONTRACT.replace("owner: team-pay", "owner: team-other"))
    changed = fresh(project)
    assert len(plan_files(isolated_home)) == 2
    assert "team-other" in changed.envs["dev"].columns["owner"]
    # the contract's path (a copy elsewhere is another plan)
    other = project.parent.parent / "copy" / "warden.yaml"
    other.parent.mkdir()
    other.write_text(project.read_text())
    fresh(other)
    assert len(plan_files(isolated_home)) == 3
    # this version of Secret Warden
    monkeypatch.setattr(secretwarden, "__version__", "0.0.0-test")
    fresh(project)
    assert len(plan_files(isolated_home)) == 4


def test_without_a_usable_key_nothing_is_kept(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_CONFIG_DIR", str(project.parent / "config-in-repo"))
    plan = fresh(project)
    assert plan.envs["dev"].columns["var"]
    assert not (project.parent / "config-in-repo").exists()


def test_a_report_from_the_caches_imports_no_pydantic(project: Path) -> None:
    """The point of the facts and the plan: a warm report never builds the contract model."""
    code = (
        "import sys\n"
        "from secretwarden.ops.workspace import Workspace\n"
        "from secretwarden.ops.status import gap_report\n"
        "from secretwarden.ops.rotation import rotation_status\n"
        f"with Workspace.load({str(project)!r}) as ws:\n"
        "    gap_report(ws); rotation_status(ws)\n"
        "print('pydantic' in sys.modules)\n"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert first.stdout.strip() == "True"  # cold: the contract was parsed and validated
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert warm.stdout.strip() == "False", warm.stderr


def test_resolved_requirements_are_ordinary_frozen_requirements(project: Path) -> None:
    """`plan._requirement` skips the __init__: every field must be set, and nothing else."""
    from secretwarden.contract.plan import Requirement

    names = set(Requirement._fields)
    contract = loader.load_contract(project).contract
    for env in contract.environments:
        for r in requirements(contract, env):
            assert set(vars(r)) == names
            again = Requirement(**vars(r))
            assert again == r and hash(again) == hash(r)
            with pytest.raises(AttributeError):
                r.var = "other"  # type: ignore[misc]  # mypy refuses it too (value_class.py)


def test_packed_columns_read_back_the_same() -> None:
    import marshal

    from secretwarden.contract.report_plan import _packed, _unpacked

    for column in ([], [1], [None, None, None], ["a", "a", "b", "a"], [True, 1, 1, True, 1.0, 1.0], ["x"] * 9 + [None]):
        back = _unpacked(marshal.loads(marshal.dumps(_packed(column))))
        assert back == column and [type(v) for v in back] == [type(v) for v in column]
