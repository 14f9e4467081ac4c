"""`warden render bootstrap-job`: run `warden bootstrap` inside a dev cluster, on a schedule or once.

A ServiceAccount (the identity the store's Kubernetes auth role binds), a
ConfigMap holding the contract (names only, so a ConfigMap is the right
object), and a CronJob (or a Job with `--once`) that runs `warden bootstrap
--env ENV` with a locked-down pod: non-root, read-only root filesystem, no
capabilities, no privilege escalation, `RuntimeDefault` seccomp, bounded
resources, writable scratch on `emptyDir` only. For dev and CI clusters: a
production environment is refused, as `warden bootstrap` refuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from secretwarden.contract.kubernetes import k8s_name
from secretwarden.errors import UsageError

if TYPE_CHECKING:
    from secretwarden.contract.loader import LoadedContract

CONTRACT_MOUNT = "/etc/warden"
DEFAULT_IMAGE = "python:3.11-slim"


def bootstrap_job(
    loaded: LoadedContract,
    env: str,
    *,
    namespace: str = "warden-system",
    schedule: str | None = "*/30 * * * *",
    image: str = DEFAULT_IMAGE,
    package: str = "secretwarden",
    service_account: str = "warden-bootstrap",
) -> list[dict[str, Any]]:
    from secretwarden.contract.plan import check_env

    contract = loaded.contract
    check_env(contract, env)
    if contract.is_production(env):
        raise UsageError(f"`{env}` is a production environment: the bootstrap job is for dev and CI clusters",
                         hint="production values are set by people (`warden set`, `warden rotate`), not generated")
    store = contract.stores[contract.store_for(env)]
    if store.backend != "vault":
        raise UsageError(f"environment `{env}` uses {'an' if store.backend[:1] in 'aeiou' else 'a'} `{store.backend}` store; the in-cluster job bootstraps "
                         "Vault/OpenBao stores", hint="point the environment at a vault store in warden.yaml")
    name = k8s_name(f"warden-bootstrap-{env}")
    labels = {"app.kubernetes.io/name": "warden-bootstrap", "app.kubernetes.io/managed-by": "secret-warden",
              "secretwarden.io/environment": k8s_name(env)}
    address = str(store.options.get("address") or "https://OPENBAO_ADDRESS").split(",")[0].strip()
    meta = {"namespace": namespace, "labels": labels}
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": service_account, **meta}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-contract", **meta},
              "data": {"warden.yaml": loaded.path.read_text(encoding="utf-8")}}
    scratch: list[dict[str, Any]] = [{"name": n, "emptyDir": {}} for n in ("home", "tmp")]
    container = {
        "name": "bootstrap",
        "image": image,
        "command": ["sh", "-c"],
        # The image installs warden into the writable home; a prebuilt image can skip that line.
        "args": [f'pip install --quiet --user "{package}" && ~/.local/bin/warden '
                 f'--contract {CONTRACT_MOUNT}/warden.yaml bootstrap --env "$WARDEN_ENV"'],
        "env": [
            {"name": "WARDEN_ENV", "value": env},
            {"name": "BAO_ADDR", "value": address},
            {"name": "VAULT_ADDR", "value": address},
            {"name": "HOME", "value": "/home/warden"},
            {"name": "WARDEN_CACHE_DIR", "value": "/tmp/warden-cache"},
            {"name": "PIP_DISABLE_PIP_VERSION_CHECK", "value": "1"},
        ],
        "volumeMounts": [
            {"name": "contract", "mountPath": CONTRACT_MOUNT, "readOnly": True},
            {"name": "home", "mountPath": "/home/warden"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "securityContext": {
            "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    pod = {
        "metadata": {"labels": labels},
        "spec": {
            "serviceAccountName": service_account,
            "restartPolicy": "OnFailure",
            "securityContext": {"fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container],
            "volumes": [{"name": "contract", "configMap": {"name": f"{name}-contract"}}, *scratch],
        },
    }
    job_spec = {"backoffLimit": 2, "activeDeadlineSeconds": 900, "ttlSecondsAfterFinished": 86400, "template": pod}
    if schedule is None:
        job: dict[str, Any] = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, **meta},
                               "spec": job_spec}
    else:
        job = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, **meta},
               "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 1,
                        "failedJobsHistoryLimit": 3, "jobTemplate": {"spec": job_spec}}}
    return [account, config, job]
