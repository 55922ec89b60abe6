"""The CronJob ``chaosrunner schedule`` prints: a game day (or one experiment) on a schedule.

The shape is manifests/cronjob.yaml's, the identity manifests/rbac.yaml's (ServiceAccount
``chaosrunner``, token mounted only in this pod), the same hardening (non-root, read-only root
filesystem, no capabilities), no retries (a chaos run is never repeated by itself), and never two
runs at once. What differs: the results go to a PersistentVolumeClaim the user names, mounted
at /results, the working directory, so every run's outputs (chaosrunner-runs/NAME/RUN_ID/)
outlive the pod; and the files come from the ConfigMap ``chaosrunner-experiments``
(``kubectl create configmap chaosrunner-experiments --from-file=DIR``), one key per file. A
plain value: the CLI prints it as YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DEFAULT_IMAGE = "ghcr.io/chaosrunner/chaosrunner:0.1.0"
DEFAULT_NAMESPACE = "demo"
CONFIGMAP = "chaosrunner-experiments"
SERVICE_ACCOUNT = "chaosrunner"
#: A CronJob's name is at most 52 characters (its Jobs add 11).
MAX_NAME = 52
#: The pod's own emptyDir (the root filesystem is read-only), not a shared temporary directory.
_TMP = "/tmp"  # noqa: S108
_FIELD = (
    r"(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*|[A-Za-z]{3}(-[A-Za-z]{3})?"
)
_MACRO = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


@dataclass(frozen=True)
class ScheduleSpec:
    #: The file's base name (its key in the ConfigMap) and its ``metadata.name``.
    file_name: str
    name: str
    #: "GameDay" runs ``gameday run``; anything else ``run``.
    kind: str
    cron: str
    pvc: str
    namespace: str = DEFAULT_NAMESPACE
    image: str = DEFAULT_IMAGE
    env: str | None = None
    suspend: bool = False
    #: Seconds a whole run may take before Kubernetes stops it (SIGTERM starts rollback).
    deadline_seconds: int = 3600


def cron_problem(cron: str) -> str:
    """What is wrong with a cron expression, or '' (five fields, or a macro like @monthly)."""
    text = cron.strip()
    if text in _MACRO:
        return ""
    fields = text.split()
    if len(fields) != 5:
        return f"{cron!r} has {len(fields)} field(s); expected 5 (minute hour day month weekday)"
    bad = [f for f in fields if not re.fullmatch(_FIELD, f)]
    if bad:
        return f"{cron!r}: field {bad[0]!r} is not valid; expected e.g. '0 10 1 * *'"
    return ""


def cronjob_name(name: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", f"chaosrunner-{name}".lower()).strip("-")
    return base[:MAX_NAME].rstrip("-")


def render_cronjob(spec: ScheduleSpec) -> dict[str, Any]:
    name = cronjob_name(spec.name)
    labels = {"app.kubernetes.io/name": "chaosrunner", "chaosrunner.io/experiment": spec.name}
    path = f"/experiments/{spec.file_name}"
    if spec.kind == "GameDay":
        args = ["gameday", "run", path]
    else:
        args = ["run", path, "--env", spec.env or "cluster"]
    if spec.kind == "GameDay" and spec.env:
        args += ["--env", spec.env]
    args += ["--log-format", "json"]
    container = {
        "name": "chaosrunner",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["chaosrunner"],
        "args": args,
        "workingDir": "/results",
        "env": [
            {"name": "PROMETHEUS_URL", "value": "http://prometheus.monitoring.svc:9090"},
            {"name": "HOME", "value": _TMP},
            {"name": "CHAOSRUNNER_STATE_DIR", "value": f"{_TMP}/chaosrunner"},
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "experiments", "mountPath": "/experiments", "readOnly": True},
            {"name": "results", "mountPath": "/results"},
            {"name": "tmp", "mountPath": _TMP},
        ],
    }
    pod = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "automountServiceAccountToken": True,
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 120,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {"name": "experiments", "configMap": {"name": CONFIGMAP}},
            {"name": "results", "persistentVolumeClaim": {"claimName": spec.pvc}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        ],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": spec.namespace, "labels": dict(labels)},
        "spec": {
            "schedule": spec.cron,
            "timeZone": "Etc/UTC",
            "suspend": spec.suspend,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 5,
            "jobTemplate": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "backoffLimit": 0,
                    "activeDeadlineSeconds": spec.deadline_seconds,
                    "ttlSecondsAfterFinished": 86400,
                    "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
                },
            },
        },
    }
