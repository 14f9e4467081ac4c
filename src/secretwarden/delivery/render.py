"""Render service environment variables, through the Render REST API (v1).

`GET /v1/services/{id}/env-vars` pages with a cursor (`limit`, `cursor`; each
item is `{envVar: {key, value}, cursor}`); `PUT /v1/services/{id}/env-vars/{key}`
with `{value}` sets one. Token: `RENDER_API_KEY`; API root: `WARDEN_RENDER_API`
(default https://api.render.com). The list carries values: warden keeps only
the names.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from secretwarden.delivery.base import HttpClient, TargetOptions, api_base, token_from
from secretwarden.errors import UsageError
from secretwarden.stores.base import SecretValue

PAGE = 100


@dataclass
class RenderEnvVars:
    client: HttpClient
    service_id: str
    name: str = "render"

    @property
    def target_id(self) -> str:
        return f"render:{self.service_id}"

    def existing_names(self) -> set[str]:
        names: set[str] = set()
        cursor: str | None = None
        while True:
            params: dict[str, object] = {"limit": PAGE}
            if cursor:
                params["cursor"] = cursor
            _, payload, _ = self.client.call("GET", f"/v1/services/{self.service_id}/env-vars", params=params)
            items = payload if isinstance(payload, list) else []
            for item in items:
                var = item.get("envVar") if isinstance(item, dict) else None
                if isinstance(var, dict) and "key" in var:
                    names.add(str(var["key"]))
            if len(items) < PAGE:
                return names
            cursor = str(items[-1].get("cursor") or "") or None
            if cursor is None:
                return names

    def put_many(self, values: dict[str, SecretValue]) -> None:
        for name, value in values.items():
            self._put(name, value)

    def _put(self, name: str, value: SecretValue) -> None:
        self.client.call("PUT", f"/v1/services/{self.service_id}/env-vars/{urllib.parse.quote(name, safe='')}",
                         body={"value": value.reveal()}, secret=value)


def platform(options: TargetOptions) -> RenderEnvVars:
    if not options.service_id:
        raise UsageError("--to render needs --service-id srv-...")
    client = HttpClient("render", api_base("WARDEN_RENDER_API", "https://api.render.com"), {
        "Authorization": f"Bearer {token_from('RENDER_API_KEY', 'Render')}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    })
    return RenderEnvVars(client, options.service_id)
