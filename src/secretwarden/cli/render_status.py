"""Renderers of the gap report: table (terminal), json, markdown (design docs, PRs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import encode_basestring as _enc  # the C encoder json.dumps uses for str
from typing import Any, TextIO

import click

from secretwarden.cli.common import fmt_time
from secretwarden.cli.utc_text import UtcText
from secretwarden.ops.status import EnvStatus, GapReport, KeyStatus, ServiceStatus


def status_json(report: GapReport) -> dict[str, Any]:
    return {
        "project": report.project,
        "generated_at": report.generated_at.isoformat(),
        "verdict": report.verdict,
        "ok": report.ok,
        "environments": [{**_env_head(e), "services": [service_json(s) for s in e.services]} for e in report.envs],
        "isolation": report.isolation.to_json() if report.isolation else None,
        **({"unreachable": report.unreachable} if report.unreachable else {}),
        **({"isolation_unchecked": report.isolation_unchecked} if report.isolation_unchecked else {}),
    }


def _env_head(e: EnvStatus) -> dict[str, Any]:
    """An environment's part of the JSON report but its services (`status_json_chunks` streams those)."""
    return {
        "env": e.env,
        "store": e.store,
        "namespaces": {
            "expected": e.namespaces_expected,
            "found": e.namespaces_found,
            "summary": f"{len(e.namespaces_found)} found / {len(e.namespaces_expected)} expected",
        },
        "orphans": [s.label() for s in e.orphans],
    }


def service_json(s: ServiceStatus) -> dict[str, Any]:
    """One service's verdict and keys as `status --format json` and `check --format json` both print them."""
    return {
        "service": s.service,
        "instance": s.instance,
        "verdict": s.verdict,
        "blocked": s.blocked,
        "keys": [
            {
                "name": k.var,
                "slot": k.slot.label(),
                "required": k.required,
                "state": k.state,
                "problems": list(k.problems),
                "version": k.version,
                "last_written": k.last_written.isoformat() if k.last_written else None,
                "owner": k.owner,
                "ref": k.via_ref,
                "deprecated_read": k.deprecated_read,
            }
            for k in s.keys
        ],
    }


# --- the JSON text, written directly -----------------------------------------------------------
# A report on 30,000 keys is ~7 MB of JSON: building a dict per key and encoding it took longer
# than judging the keys. These functions write the same text as
# `json.dumps(status_json(report), ensure_ascii=False)` (tests/cli/test_render_status.py holds
# them to it), with the per-key object written from one template.

_KEY = (  # %-formatting: ~40 % cheaper than str.format per call here
    '{"name": %s, "slot": %s, "required": %s, "state": %s, "problems": %s, "version": %s, '
    '"last_written": %s, "owner": %s, "ref": %s, "deprecated_read": %s}'
)


def _service_text(s: ServiceStatus, iso: UtcText) -> str:
    head = json.dumps({"service": s.service, "instance": s.instance, "verdict": s.verdict, "blocked": s.blocked},
                      ensure_ascii=False)
    keys: list[str] = []
    append = keys.append
    for k in s.keys:  # one loop, no call per key but the encoders: 30,000 keys per report
        problems, version, written = k.problems, k.version, k.last_written
        owner, via_ref, deprecated = k.owner, k.via_ref, k.deprecated_read
        append(_KEY % (
            _enc(k.var),
            _enc(k.slot.label()),
            "true" if k.required else "false",
            _enc(k.state),
            "[" + ", ".join(map(_enc, problems)) + "]" if problems else "[]",
            "null" if version is None else int.__repr__(version),
            "null" if written is None else '"' + iso(written) + '"',
            "null" if owner is None else _enc(owner),
            "null" if via_ref is None else _enc(via_ref),
            "null" if deprecated is None else _enc(deprecated),
        ))
    return head[:-1] + ', "keys": [' + ", ".join(keys) + "]}"


def status_json_chunks(report: GapReport) -> Iterator[str]:
    """`status_json_text` in pieces (one per service), to be written one after the other:
    no 7 MB string is built and copied several times over."""
    top = json.dumps(
        {"project": report.project, "generated_at": report.generated_at.isoformat(), "verdict": report.verdict,
         "ok": report.ok},
        ensure_ascii=False,
    )
    yield top[:-1] + ', "environments": ['
    iso = UtcText()
    for i, e in enumerate(report.envs):
        text = json.dumps(_env_head(e), ensure_ascii=False)
        yield (", " if i else "") + text[:-1] + ', "services": ['
        for j, service in enumerate(e.services):
            text = _service_text(service, iso)
            yield ", " + text if j else text
        yield "]}"
    isolation = json.dumps(report.isolation.to_json() if report.isolation else None, ensure_ascii=False)
    tail = ', "unreachable": ' + json.dumps(report.unreachable, ensure_ascii=False) if report.unreachable else ""
    if report.isolation_unchecked:
        tail += ', "isolation_unchecked": ' + json.dumps(report.isolation_unchecked, ensure_ascii=False)
    yield '], "isolation": ' + isolation + tail + "}"


def status_json_text(report: GapReport) -> str:
    """`status_json(report)` as compact JSON text (what `--format json` prints when piped)."""
    return "".join(status_json_chunks(report))


def write_status_json(report: GapReport, out: TextIO) -> None:
    """What `status --format json` prints: indented for a terminal, compact (in pieces) when piped."""
    if out.isatty():
        out.write(json.dumps(status_json(report), indent=2, ensure_ascii=False) + "\n")
        return
    for chunk in status_json_chunks(report):
        out.write(chunk)
    out.write("\n")


_STATE_COLOUR = {
    "present": "green",
    "missing": "red",
    "invalid": "red",
    "compromised": "red",
    "unverified": "yellow",
}


def _key_line(k: KeyStatus) -> str:
    state = k.state if k.required else f"{k.state} (optional)"
    colour = _STATE_COLOUR.get(k.state, "white") if k.required else "white"
    extra = []
    if k.problems and k.state != "present":
        extra.append("; ".join(k.problems))
    if k.via_ref:
        extra.append(f"ref {k.via_ref}")
    if k.deprecated_read:
        extra.append(k.deprecated_read)
    tail = f"  — {'; '.join(extra)}" if extra else ""
    version = f"v{k.version}" if k.version else ""
    return f"    {k.var:<38} {click.style(f'{state:<22}', fg=colour)} {version:<5}{tail}"


def status_table(report: GapReport, *, verbose: bool = False) -> str:
    lines = [f"Project {report.project} — gap report, {fmt_time(report.generated_at)} UTC"]
    for e in report.envs:
        lines += _env_table(e, verbose=verbose)
    if report.isolation is not None:
        from secretwarden.cli.render_isolation import isolation_lines

        lines += ["", *isolation_lines(report.isolation)]
    for why in report.isolation_unchecked.values():
        lines += ["", f"Isolation: not checked against {why}"]
    for env, why in report.unreachable.items():
        lines += ["", f"Environment {env}: not checked — {why}"]
    colour = "green" if report.ok else "red"
    lines.append("")
    lines.append("Overall: " + click.style(report.verdict, fg=colour, bold=True))
    return "\n".join(lines)


def _env_table(e: EnvStatus, *, verbose: bool) -> list[str]:
    lines = [
        "",
        click.style(f"Environment {e.env}", bold=True)
        + f" (store {e.store}): namespaces {len(e.namespaces_found)} found / {len(e.namespaces_expected)} expected",
    ]
    missing_ns = sorted(set(e.namespaces_expected) - set(e.namespaces_found))
    if missing_ns:
        lines.append("  namespaces not provisioned: " + ", ".join(missing_ns))
    for s in e.services:
        colour = "red" if s.blocked else "green"
        present = sum(1 for k in s.keys if k.state in ("present", "unverified"))
        lines.append(f"  {s.label:<40} {present}/{len(s.keys)} keys  " + click.style(s.verdict, fg=colour))
        for k in s.keys:
            if verbose or k.state != "present" or k.deprecated_read:
                if k.state == "missing" and not k.required and not verbose:
                    continue
                lines.append(_key_line(k))
    if e.orphans:
        lines.append(f"  orphaned (in the store, not in the contract): {len(e.orphans)}")
        lines += [f"    {o.label()}" for o in e.orphans]
    return lines


def status_markdown(report: GapReport) -> str:
    out = [f"## Secrets gap report — {report.project}", ""]
    out.append(f"Generated {fmt_time(report.generated_at)} UTC. **Overall: {report.verdict}**")
    for e in report.envs:
        out += [
            "",
            f"### Environment `{e.env}` (store `{e.store}`)",
            "",
            f"Namespaces: {len(e.namespaces_found)} found / {len(e.namespaces_expected)} expected",
            "",
            "| Service | Present | Missing | Invalid | Unverified | Compromised | Verdict |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for s in e.services:
            cells = [s.count(st, required_only=False) for st in ("present", "missing", "invalid", "unverified", "compromised")]
            out.append(f"| {s.label} | " + " | ".join(map(str, cells)) + f" | {s.verdict} |")
        gaps = [(s, k) for s in e.services for k in s.keys if k.blocking or (k.state != "present" and k.required)]
        if gaps:
            out += ["", "| Service | Key | State | Detail |", "|---|---|---|---|"]
            for s, k in gaps:
                detail = "; ".join([*k.problems, *([k.deprecated_read] if k.deprecated_read else [])])
                out.append(f"| {s.label} | `{k.var}` | {k.state} | {detail or '-'} |")
        if e.orphans:
            out += ["", "Orphaned keys (in the store, not in the contract): " + ", ".join(f"`{o.label()}`" for o in e.orphans)]
    for env, why in report.unreachable.items():
        out += ["", f"### Environment `{env}`: not checked", "", why.replace("|", "\\|")]
    if report.isolation is not None:
        from secretwarden.cli.render_isolation import isolation_markdown

        out += ["", isolation_markdown(report.isolation).rstrip("\n")]
    for why in report.isolation_unchecked.values():
        out += ["", "Isolation: not checked against " + why.replace("|", "\\|")]
    return "\n".join(out) + "\n"
