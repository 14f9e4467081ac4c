"""The `embedded` store backend: `backend.open_store` is its entry in the registry."""
