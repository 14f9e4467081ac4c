"""GitHub Actions secrets (repository or environment), through the REST API.

Values are encrypted on this machine with the repository's (or environment's)
public key as a libsodium sealed box (`pynacl`), as the API requires; GitHub
never receives a plain value and cannot return one. Endpoints (REST API
2022-11-28): `GET …/actions/secrets/public-key`, `GET …/actions/secrets`
(paginated with `per_page`/`page`), `PUT …/actions/secrets/{name}`; for an
environment the same under `/repos/{owner}/{repo}/environments/{env}/secrets`.
Token: `GITHUB_TOKEN`; API root: `WARDEN_GITHUB_API` (GitHub Enterprise).
"""

from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass, field

from secretwarden.delivery.base import HttpClient, TargetOptions, api_base, token_from
from secretwarden.errors import UsageError
from secretwarden.stores.base import SecretValue

PAGE = 100


@dataclass
class GitHubSecrets:
    client: HttpClient
    repo: str
    environment: str | None
    name: str = "github"
    _key: tuple[str, bytes] | None = field(default=None, repr=False)

    @property
    def target_id(self) -> str:
        return f"github:{self.repo}" + (f":{self.environment}" if self.environment else "")

    @property
    def _root(self) -> str:
        if self.environment:
            return f"/repos/{self.repo}/environments/{urllib.parse.quote(self.environment, safe='')}/secrets"
        return f"/repos/{self.repo}/actions/secrets"

    def existing_names(self) -> set[str]:
        names: set[str] = set()
        page = 1
        while True:
            _, payload, _ = self.client.call("GET", self._root, params={"per_page": PAGE, "page": page})
            batch = (payload or {}).get("secrets") or []
            names.update(str(s.get("name")) for s in batch if isinstance(s, dict))
            total = int((payload or {}).get("total_count") or 0)
            if not batch or len(names) >= total or len(batch) < PAGE:
                return names
            page += 1

    def _public_key(self) -> tuple[str, bytes]:
        if self._key is None:
            _, payload, _ = self.client.call("GET", f"{self._root}/public-key")
            try:
                self._key = (str(payload["key_id"]), base64.b64decode(payload["key"]))
            except (KeyError, TypeError, ValueError):
                raise UsageError(f"github: {self._root}/public-key answered without a usable key") from None
        return self._key

    def put_many(self, values: dict[str, SecretValue]) -> None:
        for name, value in values.items():
            self._put(name, value)

    def _put(self, name: str, value: SecretValue) -> None:
        key_id, key = self._public_key()
        self.client.call("PUT", f"{self._root}/{urllib.parse.quote(name, safe='')}",
                         body={"encrypted_value": seal(key, value), "key_id": key_id}, secret=value)


def seal(public_key: bytes, value: SecretValue) -> str:
    """libsodium `crypto_box_seal` of the value for the repository's key, base64 as the API wants."""
    try:
        from nacl.public import PublicKey, SealedBox
    except ImportError:
        raise UsageError("encrypting for GitHub needs PyNaCl",
                         hint="pip install 'secretwarden[sync]'") from None
    box = SealedBox(PublicKey(public_key))
    return base64.b64encode(box.encrypt(value.reveal().encode("utf-8"))).decode()


def platform(options: TargetOptions) -> GitHubSecrets:
    if not options.repo or options.repo.count("/") != 1:
        raise UsageError("--to github needs --repo OWNER/NAME")
    client = HttpClient("github", api_base("WARDEN_GITHUB_API", "https://api.github.com"), {
        "Authorization": f"Bearer {token_from('GITHUB_TOKEN', 'GitHub')}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "Content-Type": "application/json",
    })
    return GitHubSecrets(client, options.repo, options.environment)
