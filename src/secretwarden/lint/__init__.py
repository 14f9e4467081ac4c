"""`warden lint`: guardrail policies for repositories and deployment files.

The library entry point is `secretwarden.lint.engine.run_lint`, which returns a
`LintResult` of plain dataclasses. Rules live one family per module under
`lint/rules/` and join through `lint/registry.py`.
"""
