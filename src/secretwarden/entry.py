"""Console entry point for `warden`.

`warden run` must add as little as possible to a service's start-up: it first
loads its modules from one sealed bundle (bundle_finder.py), then takes a fast
path that avoids click, pydantic and YAML when a compiled plan is cached.
Every other command (and run's full path) first puts warden's sealed code
cache in place (bytecode_cache.py: warden's modules compiled once when Python
writes no bytecode), then goes through the click group.
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
        from secretwarden.bundle_finder import install_bundle

        # run's modules from its sealed bundle, with or without Python's bytecode; the per-module
        # cache only when there is no bundle yet (or when the full path takes over, below)
        if not install_bundle():
            from secretwarden.bytecode_cache import install

            install()
        from secretwarden.ops.fastrun import try_fast_run

        try_fast_run(rest, contract)  # execs, or returns when the full path must decide
        gc.enable()  # the full path is an ordinary, longer-lived process
    from secretwarden.bytecode_cache import install

    install()  # warden's sealed code cache, for every command when Python keeps no bytecode
    from secretwarden.cli.main import main as cli_main

    cli_main(argv)


if __name__ == "__main__":
    main()
