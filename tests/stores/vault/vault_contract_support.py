"""The contract the OpenBao bootstrap tests write: `namespaces` services of `keys` generated keys
each, every environment on one vault store `bao` with the given options."""

from __future__ import annotations


def generated_contract(project: str, options: str, namespaces: int, keys: int) -> str:
    lines = [
        "version: 1",
        f"project: {project}",
        "environments:",
        "  dev: {}",
        "stores:",
        "  bao:",
        "    backend: vault",
        f"    options: {{{options}}}",
        "namespaces:",
    ]
    lines += [f"  ns{n}: {{path: /services/ns{n}, owner: team{n}}}" for n in range(namespaces)]
    lines.append("services:")
    for n in range(namespaces):
        lines += [f"  svc{n}:", f"    namespace: ns{n}", "    secrets:"]
        lines += [f"      KEY_{k:03d}: {{min_length: 24, generate: {{kind: chars, length: 32}}}}" for k in range(keys)]
    return "\n".join(lines) + "\n"
