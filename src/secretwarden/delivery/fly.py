"""Fly.io app secrets, through the Fly GraphQL API (`setSecrets`, `app { secrets }`).

Fly keeps secrets write-only: the list gives names (and digests), never
values. Setting secrets stages a new release of the app, so all names of one
sync go in one `setSecrets` call. Token: `FLY_API_TOKEN`; API root:
`WARDEN_FLY_API` (default https://api.fly.io).
"""

from __future__ import annotations

from dataclasses import dataclass

from secretwarden.delivery.base import HttpClient, TargetOptions, api_base, token_from
from secretwarden.errors import StoreUnavailable, UsageError
from secretwarden.stores.base import SecretValue

LIST = "query($app: String!) { app(name: $app) { secrets { name digest createdAt } } }"
SET = ("mutation($input: SetSecretsInput!) { setSecrets(input: $input) "
       "{ release { id version } app { name } } }")


@dataclass
class FlySecrets:
    client: HttpClient
    app: str
    name: str = "fly"

    @property
    def target_id(self) -> str:
        return f"fly:{self.app}"

    def _graphql(self, query: str, variables: dict[str, object], secret: SecretValue | None = None) -> dict[str, object]:
        _, payload, _ = self.client.call("POST", "/graphql", body={"query": query, "variables": variables},
                                         secret=secret)
        errors = (payload or {}).get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) and errors else {}
            message = str(first.get("message", "error"))[:160] if isinstance(first, dict) else "error"
            if secret is not None and secret.reveal() in message:
                message = "error"
            if "not found" in message.lower() or "could not find" in message.lower():
                raise UsageError(f"fly: app `{self.app}`: {message}", hint="check --app")
            raise StoreUnavailable(f"fly: GraphQL answered: {message}")
        data = (payload or {}).get("data")
        return data if isinstance(data, dict) else {}

    def existing_names(self) -> set[str]:
        data = self._graphql(LIST, {"app": self.app})
        app = data.get("app")
        secrets = app.get("secrets") if isinstance(app, dict) else None
        return {str(s["name"]) for s in secrets or [] if isinstance(s, dict) and "name" in s}

    def put_many(self, values: dict[str, SecretValue]) -> None:
        """One `setSecrets` call: Fly stages one release for the whole change."""
        if not values:
            return
        staged = dict(values)
        joined = SecretValue("\n".join(v.reveal() for v in staged.values()))
        self._graphql(SET, {"input": {"appId": self.app, "replaceAll": False,
                                      "secrets": [{"key": k, "value": v.reveal()} for k, v in staged.items()]}},
                      secret=joined)


def platform(options: TargetOptions) -> FlySecrets:
    if not options.app:
        raise UsageError("--to fly needs --app NAME")
    client = HttpClient("fly", api_base("WARDEN_FLY_API", "https://api.fly.io"), {
        "Authorization": f"Bearer {token_from('FLY_API_TOKEN', 'Fly.io')}",
        "Content-Type": "application/json",
    })
    return FlySecrets(client, options.app)
