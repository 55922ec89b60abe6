"""Goroutine profiles of cluster pods, read through the API server's ``pods/proxy`` subresource.

The target's ``pods`` part selects the pods (Running ones, as a fault would hit them) and its
``pprof`` part names the port and path: ``GET /api/v1/namespaces/NS/pods/POD:PORT/proxy
/PATH/goroutine?debug=1``. No port-forward and no network route to the pods is needed, only
``get`` on ``pods/proxy``, the permission the leak hook already asks for.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaosrunner.adapters.chaosmesh.common import selection
from chaosrunner.adapters.chaosmesh.driver import ClusterOptions
from chaosrunner.adapters.chaosmesh.pods import Selection, select_pods
from chaosrunner.adapters.kube.api import Connection, Kube, connect
from chaosrunner.core.errors import ChaosRunnerError, EvidenceError
from chaosrunner.core.model import Binding, Experiment
from chaosrunner.core.ports import ProfileText

DEFAULT_PORT = 8080  # the demo's port, as the leak hook's default


class PodProxyProfileFetcher:
    def __init__(self, experiment: Experiment, options: ClusterOptions | None = None) -> None:
        options = options or ClusterOptions()
        context = options.context or experiment.env.kubernetes.context
        self.connection = Connection(options.kubeconfig, context)
        self.kube: Kube | None = None

    def _api(self) -> Kube:
        if self.kube is None:
            self.kube = connect(self.connection)
        return self.kube

    def goroutines(self, binding: Binding) -> Sequence[ProfileText]:
        part = binding.need("pprof", binding.pprof)
        pods = binding.need("pods", binding.pods)
        spec = selection(pods, "default", f"target {binding.target!r}")
        sel = Selection.of(binding.target, "pprof", spec, "default")
        try:
            kube = self._api()
            chosen = select_pods(kube, sel)
        except ChaosRunnerError as exc:
            raise EvidenceError(f"cannot list the pods of {sel.text}: {exc}") from exc
        port = DEFAULT_PORT if part.port is None else part.port
        path = "/" + f"{part.path.strip('/')}/goroutine".lstrip("/")
        out = []
        for ns, pod in chosen:
            who = f"https:{pod}:{port}" if part.scheme == "https" else f"{pod}:{port}"
            where = f"{ns}/{pod}:{port}{path}"
            url = f"/api/v1/namespaces/{ns}/pods/{who}/proxy{path}?debug=1"
            out.append(ProfileText(where, _get_text(kube, f"read the profile of {where}", url)))
        return tuple(out)


def _get_text(kube: Kube, what: str, path: str) -> str:
    """GET ``path`` on the API server as text (the pod proxy answers what the pod answers)."""

    def go(_request_timeout: float) -> tuple[int, bytes]:
        verb, url, headers, payload, _ = kube.api_client.param_serialize(
            method="GET",
            resource_path=path,
            header_params={"Accept": "text/plain"},
            auth_settings=["BearerToken"],
        )
        resp = kube.api_client.call_api(
            verb, url, header_params=headers, body=payload, _request_timeout=_request_timeout
        )
        resp.read()  # type: ignore[no-untyped-call]
        return int(resp.status), bytes(resp.data or b"")

    try:
        status, data = kube.call(what, go)
    except ChaosRunnerError as exc:
        raise EvidenceError(str(exc)) from exc
    if not 200 <= status < 300:
        raise EvidenceError(f"{what}: HTTP {status}: {data[:200].decode(errors='replace')}")
    return data.decode("utf-8", errors="replace")
