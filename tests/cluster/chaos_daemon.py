"""A chaos-daemon for cluster tests: a TEST STAND-IN, not Chaos Mesh's chaos-daemon.

Chaos Mesh's controller-manager applies every daemon-based fault (NetworkChaos, StressChaos,
TimeChaos, IOChaos, HTTPChaos, DNSChaos, container-kill) by calling the chaos-daemon of the
target pod's node over gRPC. There is no container runtime here, so a real daemon could do
nothing; this one answers every call with success and records it, so that the REAL controller
reaches ``AllInjected`` / ``AllRecovered`` through its real gRPC client, and tests can assert
what it asked for (which method, on which container id, with which tc / iptables / stress
rules). It changes nothing on this machine.

For a DNSChaos the controller also calls Chaos Mesh's DNS server (a CoreDNS plugin) on each pod
of the Service ``CHAOS_DNS_SERVICE_NAME``; the stand-in serves that API too (``--dns-listen``),
recorded the same way (with no container id).

The wire interfaces are our own descriptions, ``protos/chaosdaemon.proto`` and
``protos/dnschaos.proto`` (see their headers),
loaded at run time with ``grpc.protos_and_services`` (grpcio-tools): no generated code in the
repository. Chaos Mesh dials ``<daemon address>:CHAOS_DAEMON_SERVICE_PORT`` with plain
(insecure) HTTP/2 when it has no ``CHAOS_MESH_CA_CERT``, which is how cluster-up.sh runs it.

Run as a process (``python -m tests.cluster.chaos_daemon --listen IP:PORT --record FILE``),
normally inside a network-namespace test host (``tests/cluster/daemon_host.py``): the
controller finds a daemon through an EndpointSlice, where the API server refuses loopback
addresses. Each call is appended to ``FILE`` as one JSON line (see ``Call``) before the answer
is sent. For the failure paths, ``--fail METHOD`` makes that method answer ``UNAVAILABLE``
(still recorded), and so does every method named in ``--fail-file FILE``, which is re-read on
each call: a test can let the injection succeed and then make the recovery fail.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

PROTOS = Path(__file__).resolve().parent / "protos"
PROTO = "chaosdaemon.proto"
SERVICE = "pb.ChaosDaemon"
#: Chaos Mesh's DNS server (a CoreDNS plugin), which the controller also calls for a DNSChaos.
DNS_PROTO = "dnschaos.proto"
DNS_SERVICE = "pb.DNS"
#: Chaos Mesh's CHAOS_DAEMON_SERVICE_PORT default (pkg/config/controller.go).
DEFAULT_PORT = 31767
#: gRPC metadata key the controller sets to the chaos object's "<namespace>/<name>".
NAMESPACED_NAME = "namespaced-name"
#: The request field that names the container, for the one method that does not call it so.
_CONTAINER_FIELD = {"ExecStressors": "target"}


@dataclass(frozen=True)
class Call:
    """One call the controller made: method, container id, the whole request, for whom, and
    what the stand-in answered."""

    method: str
    container_id: str
    request: dict[str, Any]  # protobuf JSON mapping, proto field names, defaults included
    reply: dict[str, Any]  # the same mapping of the answer ({} for Empty or an error)
    source: str  # the calling chaos object, "<namespace>/<name>" ("" if not sent)
    at: float  # time.time() when it arrived
    failed: bool  # answered with an error (--fail, --fail-file)

    def to_json(self) -> str:
        return json.dumps(
            {"method": self.method, "containerId": self.container_id, "request": self.request,
             "reply": self.reply, "source": self.source, "at": self.at, "failed": self.failed},
            sort_keys=True,
        )  # fmt: skip

    @classmethod
    def from_json(cls, line: str) -> Call:
        d = json.loads(line)
        return cls(
            d["method"], d["containerId"], d["request"], d["reply"], d["source"], d["at"],
            d["failed"],
        )  # fmt: skip


def read_calls(record: Path) -> list[Call]:
    """Every call recorded so far, oldest first (empty if none yet)."""
    try:
        text = record.read_text()
    except FileNotFoundError:
        return []
    return [Call.from_json(line) for line in text.splitlines() if line.strip()]


def load_protos(proto: str = PROTO) -> tuple[Any, Any]:
    """The message and service modules of ``protos/<proto>``, built in memory."""
    if str(PROTOS) not in sys.path:
        sys.path.insert(0, str(PROTOS))
    return grpc.protos_and_services(proto)  # type: ignore[no-any-return]


class _Recorder:
    """Appends calls to the record file, one JSON line each, flushed before answering."""

    def __init__(self, record: Path) -> None:
        self._lock = threading.Lock()
        self._file = record.open("a", encoding="utf-8")

    def add(self, call: Call) -> None:
        with self._lock:
            self._file.write(call.to_json() + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def _answers(pb: Any) -> dict[str, Callable[[Any], Any]]:
    """Method -> a successful reply to its request. Ids are made up but stable per request."""
    counter = iter(range(1, 1 << 30))

    def now_ms() -> int:
        return int(time.time() * 1000)

    def stress(req: Any) -> Any:
        n = next(counter)
        return pb.ExecStressResponse(
            cpu_instance=f"stand-in-cpu-{n}" if req.cpu_stressors else "",
            cpu_start_time=now_ms() if req.cpu_stressors else 0,
            memory_instance=f"stand-in-memory-{n}" if req.memory_stressors else "",
            memory_start_time=now_ms() if req.memory_stressors else 0,
        )

    def io(req: Any) -> Any:
        return pb.ApplyIOChaosResponse(instance=req.instance or 4242, start_time=now_ms())

    def http(req: Any) -> Any:
        return pb.ApplyHttpChaosResponse(
            instance=req.instance or 4343, start_time=now_ms(), status_code=200
        )

    return {
        "SetDNSChaos": lambda _req: pb.DNSChaosResponse(result=True),
        "CancelDNSChaos": lambda _req: pb.DNSChaosResponse(result=True),
        "ContainerGetPid": lambda _req: pb.ContainerResponse(pid=4141),
        "ExecStressors": stress,
        "ApplyIOChaos": io,
        "ApplyHttpChaos": http,
        "ApplyBlockChaos": lambda _req: pb.ApplyBlockChaosResponse(injection_id=next(counter)),
    }


def _mapping(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(  # type: ignore[no-any-return]
        message, always_print_fields_with_no_presence=True, preserving_proto_field_name=True
    )


class _Failures:
    """The methods told to fail: fixed ones, and those the control file names right now."""

    def __init__(self, fixed: Iterable[str], control: Path | None) -> None:
        self._fixed = frozenset(fixed)
        self._control = control

    def __contains__(self, method: object) -> bool:
        if method in self._fixed:
            return True
        if self._control is None:
            return False
        try:
            return method in self._control.read_text().split()
        except FileNotFoundError:
            return False


def _handlers(
    pb: Any, service_name: str, recorder: _Recorder, fail: _Failures
) -> grpc.GenericRpcHandler:
    from google.protobuf import empty_pb2

    service = pb.DESCRIPTOR.services_by_name[service_name.removeprefix("pb.")]
    answers = _answers(pb)

    def handler(method: str, request_cls: Any) -> grpc.RpcMethodHandler:
        answer = answers.get(method, lambda _req: empty_pb2.Empty())
        field = _CONTAINER_FIELD.get(method, "container_id")

        def unary(req: Any, context: grpc.ServicerContext) -> Any:
            meta = dict(context.invocation_metadata())
            failed = method in fail
            reply = None if failed else answer(req)
            recorder.add(
                Call(
                    method=method,
                    container_id=str(getattr(req, field, "")),
                    request=_mapping(req),
                    reply={} if reply is None else _mapping(reply),
                    source=str(meta.get(NAMESPACED_NAME, "")),
                    at=time.time(),
                    failed=failed,
                )
            )
            if reply is None:
                context.abort(grpc.StatusCode.UNAVAILABLE, f"test stand-in told to fail {method}")
            return reply

        return grpc.unary_unary_rpc_method_handler(
            unary,
            request_deserializer=request_cls.FromString,
            response_serializer=lambda msg: msg.SerializeToString(),
        )

    table = {
        m.name: handler(m.name, getattr(pb, m.input_type.name)) for m in service.methods
    }  # fmt: skip
    return grpc.method_handlers_generic_handler(service_name, table)


class StandInDaemon:
    """The gRPC server; ``start`` binds ``address`` ("IP:PORT"), ``stop`` ends it.

    It serves chaos-daemon's service and the DNS server's (both answer on every address it
    listens on; ``dns_address`` only adds the port the controller dials for the latter).
    """

    def __init__(
        self,
        address: str,
        record: Path,
        fail: Iterable[str] = (),
        fail_file: Path | None = None,
        dns_address: str | None = None,
    ) -> None:
        services = ((load_protos()[0], SERVICE), (load_protos(DNS_PROTO)[0], DNS_SERVICE))
        known = {
            m.name
            for pb, name in services
            for m in pb.DESCRIPTOR.services_by_name[name.removeprefix("pb.")].methods
        }
        unknown = set(fail) - known
        if unknown:
            raise ValueError(f"--fail: no such method {sorted(unknown)}; known: {sorted(known)}")
        self.address = address
        self._recorder = _Recorder(record)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        failures = _Failures(fail, fail_file)
        self._server.add_generic_rpc_handlers(
            tuple(_handlers(pb, name, self._recorder, failures) for pb, name in services)
        )
        self.port = self._server.add_insecure_port(address)
        if self.port == 0:
            raise OSError(f"cannot listen on {address}")
        self.dns_port: int | None = None
        if dns_address is not None:
            self.dns_port = self._server.add_insecure_port(dns_address)
            if self.dns_port == 0:
                raise OSError(f"cannot listen on {dns_address}")

    def start(self) -> None:
        self._server.start()

    def stop(self, grace: float = 1.0) -> None:
        self._server.stop(grace).wait()
        self._recorder.close()

    def wait(self) -> None:
        self._server.wait_for_termination()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="IP:PORT to serve on")
    parser.add_argument("--record", required=True, type=Path, help="JSON-lines file of calls")
    parser.add_argument(
        "--fail", action="append", default=[], help="method to answer with an error"
    )
    parser.add_argument(
        "--fail-file", type=Path, help="methods named here (re-read on each call) fail too"
    )
    parser.add_argument("--dns-listen", help="IP:PORT to serve the DNS server's service on too")
    args = parser.parse_args(argv)
    daemon = StandInDaemon(args.listen, args.record, args.fail, args.fail_file, args.dns_listen)
    daemon.start()
    stopping = threading.Event()

    def on_signal(_sig: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    also = f", {DNS_SERVICE} on {args.dns_listen}" if args.dns_listen else ""
    sys.stderr.write(f"stand-in chaos-daemon serving {SERVICE} on {args.listen}{also}\n")
    sys.stderr.flush()
    stopping.wait()
    daemon.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
