"""`warden scan`: find committed secrets in files, git history, staged changes and stdin.

The library entry point is `secretwarden.scan.runner.run_scan`, which returns a
`ScanResult` of plain dataclasses; the CLI only parses arguments and renders.
Nothing here imports hyperscan at module import time: the engine loads it on
first use so that other `warden` commands start fast.
"""

from __future__ import annotations
