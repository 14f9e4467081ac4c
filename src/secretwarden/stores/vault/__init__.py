"""The `vault` store backend: `backend.open_store` is its entry in the registry."""
