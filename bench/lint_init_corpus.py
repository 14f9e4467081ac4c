#!/usr/bin/env python3
"""Accuracy of `warden lint` and `warden init` on the project's labelled corpus.

    .venv/bin/python bench/lint_init_corpus.py

Lint: the repositories of tests/lint/corpus.py (charts, Compose stacks,
Kubernetes manifests, Kustomize, Python and TypeScript apps, docs with
template markup), labelled line by line. Prints found % (expected findings
reported), must-not-flag % (lines labelled ok that got any finding) and the
findings on unlabelled lines. Init: the repositories of
tests/contract/init_corpus.py; prints micro and macro recall of the expected
secret names, the junk names found and whether any value reached the output.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from tests.contract.init_corpus import score as init_score
    from tests.lint.corpus import score as lint_score

    lint = lint_score()
    print(f"lint: {lint.found}/{lint.expected} expected findings = {lint.found_pct:.1f} % found; "
          f"{lint.ok_flagged}/{lint.ok_lines} must-not-flag lines flagged = {lint.ok_flagged_pct:.1f} %; "
          f"{lint.unlabelled} finding(s) on unlabelled lines")
    for line in lint.missed:
        print(f"  missed: {line}")
    for line in lint.wrongly_flagged:
        print(f"  wrongly flagged: {line}")
    init = init_score()
    print(f"init: recall {init.micro:.2f} micro, {init.macro:.2f} macro ({init.found}/{init.expected} names); "
          f"{len(init.junk)} junk name(s); value copied: {'YES' if init.value_leaked else 'no'}")
    for line in init.missed:
        print(f"  missed: {line}")
    for line in init.junk:
        print(f"  junk: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
