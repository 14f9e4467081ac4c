"""Crash and concurrency: real processes, SIGKILL at random points, two writers at once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from secretwarden.crypto.rootkey import ENV_VAR, encode_key
from secretwarden.slots import SlotRef
from secretwarden.stores.embedded.store import EmbeddedStore
from tests.stores.conftest import FP

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from secretwarden.crypto.fingerprint import Fingerprinter
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest
    from secretwarden.stores.embedded.store import EmbeddedStore

    path, tag, count, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    store = EmbeddedStore("local", Path(path), access="secrets", create=True,
                          fingerprinter=Fingerprinter(b"k" * 32))
    for i in range(count):
        slot = SlotRef("dev", "ns", key if key != "-" else f"K{i % 7}")
        result = store.write_many([WriteRequest(slot, SecretValue(f"{tag}-{i}"))])[0]
        print(f"ack {slot.key} {result.version} {tag}-{i}", flush=True)
    """
)


def spawn(path: Path, tag: str, count: int, key: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tag, str(count), key],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def check_acks(path: Path, acks: list[tuple[str, int, str]]) -> None:
    store = EmbeddedStore("local", path, access="secrets", fingerprinter=FP)
    try:
        assert store.verify(deep=True) == []
        for key, version, value in acks:
            assert store.read(SlotRef("dev", "ns", key), version).reveal() == value
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_never_loses_an_acknowledged_write(tmp_path: Path) -> None:
    env = dict(os.environ, **{ENV_VAR: encode_key(os.urandom(32))})
    os.environ[ENV_VAR] = env[ENV_VAR]
    path = tmp_path / "s.db"
    rng = random.Random(1234)
    acks: list[tuple[str, int, str]] = []
    try:
        for round_no in range(60):
            proc = spawn(path, f"r{round_no}", 10_000, "-", env)
            assert proc.stdout is not None
            target = rng.randint(0, 40)
            seen = 0
            while seen < target:
                line = proc.stdout.readline()
                if not line:
                    break
                _, key, version, value = line.split()
                acks.append((key, int(version), value))
                seen += 1
            time.sleep(rng.random() * 0.01)  # land the kill at a random point of a write
            proc.send_signal(signal.SIGKILL)
            # Lines printed before death are acknowledged writes too.
            for line in proc.stdout:
                _, key, version, value = line.split()
                acks.append((key, int(version), value))
            proc.wait()
            check_acks(path, acks)
    finally:
        del os.environ[ENV_VAR]
    assert len(acks) > 25


@pytest.mark.slow
def test_two_writers_at_once(tmp_path: Path) -> None:
    env = dict(os.environ, **{ENV_VAR: encode_key(os.urandom(32))})
    os.environ[ENV_VAR] = env[ENV_VAR]
    path = tmp_path / "s.db"
    try:
        # Create the store first so both writers open the same one.
        first = spawn(path, "init", 1, "SHARED", env)
        first.communicate()
        procs = [spawn(path, tag, 150, "SHARED", env) for tag in ("a", "b")]
        outs = [p.communicate()[0] for p in procs]
        assert all(p.returncode == 0 for p in procs)
        acks = [(ln.split()[1], int(ln.split()[2]), ln.split()[3]) for out in outs for ln in out.splitlines()]
        versions = [v for _, v, _ in acks]
        assert len(versions) == len(set(versions)) == 300  # no version handed out twice
        check_acks(path, acks)
        store = EmbeddedStore("local", path, access="metadata")
        meta = store.key_meta(SlotRef("dev", "ns", "SHARED"))
        assert meta is not None and len(meta.versions) == 301
        store.close()
    finally:
        del os.environ[ENV_VAR]
