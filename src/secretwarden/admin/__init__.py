"""Administration of one backend's own machinery (e.g. `.sops.yaml` rules, recipients).

Kept apart from `ops/`, whose operations work the same on every backend:
code here may know which backend it administers.
"""
