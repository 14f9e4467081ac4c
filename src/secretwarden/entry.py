"""Console entry point for `warden`.

Every command first puts warden's sealed code cache in place (bytecode_cache.py:
it serves warden's modules compiled when Python writes no bytecode, and `warden
run`'s modules from one sealed bundle in any case). `warden
run` must add as little as possible to a service's start-up, so it then takes a
fast path that avoids click, pydantic and YAML when a compiled plan is cached.
Everything else goes through the click group.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        _main()
    except KeyboardInterrupt:
        # Ctrl-C during start-up (imports, the sealed cache, run's fast path) arrives before the
        # CLI's error handler exists: the same one line and exit code, not a traceback.
        sys.stderr.write("warden: interrupted\n")
        sys.exit(130)


def _main() -> None:
    argv = sys.argv[1:]
    contract = None
    rest = argv
    if rest[:1] in (["--contract"], ["-c"]) and len(rest) > 2:
        contract, rest = rest[1], rest[2:]
    fast = rest[:1] == ["run"]
    if fast:
        import gc

        # The fast path allocates little and execs within milliseconds: the cyclic collector's
        # passes over the freshly imported modules (about 2 ms) would collect nothing.
        gc.disable()
    from secretwarden.bytecode_cache import install

    install(run_bundle=fast)  # warden's sealed code cache (every command without Python's bytecode; run's bundle)
    if fast:
        from secretwarden.ops.fastrun import try_fast_run

        try_fast_run(rest, contract)  # execs, or returns when the full path must decide
        gc.enable()  # the full path is an ordinary, longer-lived process
    from secretwarden.cli.main import main as cli_main

    cli_main(argv)


if __name__ == "__main__":
    main()
