"""The cluster tests' stand-in chaos-daemon on its own (tests/cluster/chaos_daemon.py), on loopback.

What the real controller needs from it (checked end to end in tests/cluster/test_real_daemon.py):
every method of chaos-daemon's service answers, with the reply fields the controller reads; and
what tests need: every call recorded (method, container id, the whole request, the calling
chaos object) before the answer, and failures on demand.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.cluster import chaos_daemon
from tests.cluster.chaos_daemon import NAMESPACED_NAME, StandInDaemon, read_calls

ROOT = Path(__file__).resolve().parents[2]
CID = "containerd://0123abcd"


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "calls.jsonl"


def _serve(record: Path, fail: tuple[str, ...] = ()) -> Iterator[tuple[Any, Any]]:
    daemon = StandInDaemon("127.0.0.1:0", record, fail)
    daemon.start()
    pb, services = chaos_daemon.load_protos()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{daemon.port}") as channel:
            yield pb, services.ChaosDaemonStub(channel)
    finally:
        daemon.stop()


@pytest.fixture
def stub(record: Path) -> Iterator[tuple[Any, Any]]:
    yield from _serve(record)


def test_every_method_of_the_service_answers(stub: tuple[Any, Any], record: Path) -> None:
    pb, client = stub
    methods = [m for m in pb.DESCRIPTOR.services_by_name["ChaosDaemon"].methods]
    assert len(methods) == 16  # every rpc of chaos-daemon's service at the pinned version
    for m in methods:
        request = getattr(pb, m.input_type.name)()
        getattr(client, m.name)(request, timeout=5)  # UNIMPLEMENTED would raise
    assert [c.method for c in read_calls(record)] == [m.name for m in methods]


def test_replies_carry_what_the_controller_reads(stub: tuple[Any, Any]) -> None:
    pb, client = stub
    res = client.ExecStressors(
        pb.ExecStressRequest(target=CID, cpu_stressors="--cpu 1 --cpu-load 50"), timeout=5
    )
    assert res.cpu_instance and res.cpu_start_time > 0  # kept in status.instances, for Cancel
    assert (res.memory_instance, res.memory_start_time) == ("", 0)  # no memory stressors asked
    res2 = client.ExecStressors(pb.ExecStressRequest(target=CID, memory_stressors="--vm 1"))
    assert res2.memory_instance and res2.memory_instance != res.cpu_instance
    assert client.ApplyHttpChaos(pb.ApplyHttpChaosRequest(container_id=CID)).status_code == 200
    io = client.ApplyIOChaos(pb.ApplyIOChaosRequest(container_id=CID))
    assert io.instance > 0 and io.start_time > 0
    assert client.ContainerGetPid(pb.ContainerRequest(container_id=CID)).pid > 0


def test_each_call_is_recorded_with_its_rules_and_caller(
    stub: tuple[Any, Any], record: Path
) -> None:
    pb, client = stub
    netem = pb.Netem(time="120ms", jitter="0ms", loss=10.0)
    client.SetTcs(
        pb.TcsRequest(tcs=[pb.Tc(type=pb.Tc.NETEM, netem=netem, device="eth0")],
                      container_id=CID, enter_ns=True, pod_uid="uid-1"),
        metadata=[(NAMESPACED_NAME, "team-a/slow")], timeout=5,
    )  # fmt: skip
    res = client.ExecStressors(pb.ExecStressRequest(target=CID, cpu_stressors="--cpu 2"), timeout=5)
    tcs, stress = read_calls(record)
    assert tcs.reply == {}  # google.protobuf.Empty
    assert stress.reply["cpu_instance"] == res.cpu_instance  # what Cancel will be asked for
    assert (tcs.method, tcs.container_id, tcs.source, tcs.failed) == (
        "SetTcs", CID, "team-a/slow", False,
    )  # fmt: skip
    assert tcs.request["pod_uid"] == "uid-1" and tcs.request["enter_ns"] is True
    (tc,) = tcs.request["tcs"]
    assert (tc["type"], tc["device"], tc["netem"]["time"]) == ("NETEM", "eth0", "120ms")
    assert tc["netem"]["loss"] == pytest.approx(10.0)
    assert tc["netem"]["corrupt"] == 0  # defaults are recorded too: absent means zero
    assert (stress.method, stress.container_id, stress.source) == ("ExecStressors", CID, "")
    assert stress.request["cpu_stressors"] == "--cpu 2"
    assert 0 < tcs.at <= stress.at <= time.time()


def test_a_method_told_to_fail_answers_unavailable_and_is_recorded(record: Path) -> None:
    for pb, client in _serve(record, fail=("SetTcs",)):
        with pytest.raises(grpc.RpcError) as err:
            client.SetTcs(pb.TcsRequest(container_id=CID), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "test stand-in told to fail SetTcs" in str(err.value.details())
        client.FlushIPSets(pb.IPSetsRequest(container_id=CID), timeout=5)  # others still work
    assert [(c.method, c.failed, c.reply) for c in read_calls(record)] == [
        ("SetTcs", True, {}), ("FlushIPSets", False, {}),
    ]  # fmt: skip


def test_an_unknown_method_to_fail_is_refused(record: Path) -> None:
    with pytest.raises(ValueError, match=r"no such method \['SetTc'\]"):
        StandInDaemon("127.0.0.1:0", record, fail=("SetTc",))


def test_the_process_serves_until_sigterm(record: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.cluster.chaos_daemon", f"--listen=127.0.0.1:{port}",
         f"--record={record}"],
        cwd=ROOT, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        pb, services = chaos_daemon.load_protos()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=15)
            services.ChaosDaemonStub(channel).SetTimeOffset(
                pb.TimeRequest(container_id=CID, sec=3600), timeout=5
            )
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert b"stand-in chaos-daemon serving pb.ChaosDaemon" in err
    (call,) = read_calls(record)
    assert (call.method, call.container_id, call.request["sec"]) == ("SetTimeOffset", CID, "3600")


def test_no_record_yet_reads_as_no_calls(tmp_path: Path) -> None:
    assert read_calls(tmp_path / "absent.jsonl") == []


def test_the_fail_file_is_read_on_each_call(record: Path, tmp_path: Path) -> None:
    """A test lets the injection through, then makes the recovery fail (and back)."""
    control = tmp_path / "fail"
    daemon = StandInDaemon("127.0.0.1:0", record, fail_file=control)
    daemon.start()
    pb, services = chaos_daemon.load_protos()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{daemon.port}") as channel:
            client = services.ChaosDaemonStub(channel)
            client.SetTcs(pb.TcsRequest(container_id=CID), timeout=5)  # no file yet
            control.write_text("FlushIPSets\nSetTcs\n")
            with pytest.raises(grpc.RpcError) as err:
                client.SetTcs(pb.TcsRequest(container_id=CID), timeout=5)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
            client.SetIptablesChains(pb.IptablesChainsRequest(container_id=CID), timeout=5)
            control.write_text("")
            client.SetTcs(pb.TcsRequest(container_id=CID), timeout=5)
    finally:
        daemon.stop()
    assert [(c.method, c.failed) for c in read_calls(record)] == [
        ("SetTcs", False), ("SetTcs", True), ("SetIptablesChains", False), ("SetTcs", False),
    ]  # fmt: skip


def test_the_dns_server_api_is_served_on_its_own_port_too(record: Path) -> None:
    daemon = StandInDaemon("127.0.0.1:0", record, dns_address="127.0.0.1:0")
    daemon.start()
    dns, services = chaos_daemon.load_protos(chaos_daemon.DNS_PROTO)
    try:
        assert daemon.dns_port and daemon.dns_port != daemon.port
        with grpc.insecure_channel(f"127.0.0.1:{daemon.dns_port}") as channel:
            client = services.DNSStub(channel)
            pod = dns.DNSChaosPod(namespace="team-a", name="web-0")
            res = client.SetDNSChaos(
                dns.SetDNSChaosRequest(name="dns-err", action="error", pods=[pod],
                                       patterns=["example.com"]),
                timeout=5,
            )  # fmt: skip
            assert (res.result, res.msg) == (True, "")  # result false fails the record
            assert client.CancelDNSChaos(dns.CancelDNSChaosRequest(name="dns-err")).result
    finally:
        daemon.stop()
    set_, cancel = read_calls(record)
    assert (set_.method, set_.container_id, set_.reply) == (
        "SetDNSChaos",
        "",
        {"result": True, "msg": ""},
    )
    assert set_.request["pods"] == [{"namespace": "team-a", "name": "web-0"}]
    assert (set_.request["action"], set_.request["patterns"]) == ("error", ["example.com"])
    assert (cancel.method, cancel.request) == ("CancelDNSChaos", {"name": "dns-err"})
