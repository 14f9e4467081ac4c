"""The governance dashboard: one data model (`model.py`), one renderer (`render.py`),
served read-only by `server.py` or written as a self-contained file by `warden report`.

Only `model.py` is free of the optional web stack; `render.py` needs Jinja2 and
`server.py` needs Starlette and uvicorn (the `dashboard` extra). Nothing in the
core CLI imports this package at start-up.
"""
