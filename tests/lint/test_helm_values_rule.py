"""`helm-values-unknown-secret` names the Secret to use: the service's own for a values file of a
known service, nothing invented for a chart the contract does not know."""

from __future__ import annotations

from pathlib import Path

from secretwarden.lint.engine import run_lint
from secretwarden.lint.rules.helm_values import VALUES_REF
from tests.lint.conftest import materialise


def test_findings_suggest_the_services_own_secret(tmp_path: Path) -> None:
    repo = materialise(tmp_path / "repo", VALUES_REF.failing)
    found = {(f.path, f.line): f for f in run_lint(repo, use_contract=True, only=[VALUES_REF.id]).active}
    main, optional, foreign = (found[("deploy/dev/api.values.yaml", 1)], found[("deploy/dev/api.values.yaml", 4)],
                               found[("deploy/dev/redis-values.yaml", 2)])
    assert "`api-secret`" in main.message and "service `api`'s Secret is `api-secrets`" in main.message
    assert main.service == "api" and "`api-secrets`" in main.fix
    assert "`api-secrets-log-hook`" in optional.message
    assert "`redis-auth`" in foreign.message and "did you mean" not in foreign.message
    assert foreign.service is None and foreign.fix == VALUES_REF.fix


def test_a_file_passed_to_helm_f_is_checked_whatever_its_name(tmp_path: Path) -> None:
    from dataclasses import replace

    example = replace(VALUES_REF.passing, files={
        **VALUES_REF.passing.files,
        "Makefile": "deploy:\n\thelm upgrade --install api charts/api -f deploy/prod.yaml\n",
        "deploy/prod.yaml": "envFrom:\n  - secretRef: {name: api-secrets-typo}\n",
    })
    repo = materialise(tmp_path / "repo", example)
    found = run_lint(repo, use_contract=True, only=[VALUES_REF.id]).active
    assert [(f.path, f.line) for f in found] == [("deploy/prod.yaml", 2)]
    assert "did you mean `api-secrets`?" in found[0].message
