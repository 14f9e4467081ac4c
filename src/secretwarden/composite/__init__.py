"""Commands that combine the checkers and the gates: `warden ci` and the guardrail
runs behind the dashboard and `warden report`.

This layer sits above `ops/`, `scan/` and `lint/` and may import all three;
none of them imports it (an import-linter contract in pyproject.toml says so).
"""
