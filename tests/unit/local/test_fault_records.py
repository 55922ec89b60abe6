"""The local fault record: one writer, one reader, the on-disk format of earlier versions kept.

The driver writes a record before applying a fault; the watchdog and ``chaosrunner cleanup``
read it back to end the fault. These tests pin the round trip of every undo action, that a file
written by the previous (dict-based) writer is still read, and that a damaged record reads as
"end it now" rather than "keep it".
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from chaosrunner.adapters.local import procs, records, state, undo
from chaosrunner.adapters.local.records import (
    FaultRecord,
    GroupKillAction,
    HttpAction,
    SignalAction,
    UnknownAction,
)

ACTIONS = (
    SignalAction(pid=42, starttime=1234, signal="SIGCONT"),
    HttpAction("DELETE", "http://127.0.0.1:9/proxies/p/toxics/t"),
    HttpAction("POST", "http://127.0.0.1:9/proxies/p", body={"enabled": True}, ok=(200,)),
    GroupKillAction(pid=43, starttime=5678),
)
RECORD = FaultRecord(
    run_id="r1",
    experiment="exp",
    fault="f",
    kind="network-delay",
    created_at=1000.5,
    expires_at=1090.25,
    owner_pid=7,
    owner_start=99,
    undo=ACTIONS,
)


def test_a_record_reads_back_as_written(tmp_path: Path) -> None:
    path = state.record_path("r1", "f", tmp_path)
    records.write(path, RECORD)
    assert records.read(path) == RECORD
    assert records.list_records("r1", tmp_path) == [(path, RECORD)]
    assert records.list_records("other", tmp_path) == []


def test_the_file_keeps_the_camel_case_format_of_earlier_versions(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    records.write(path, RECORD)
    data = json.loads(path.read_text())
    assert data == {
        "runId": "r1",
        "experiment": "exp",
        "fault": "f",
        "kind": "network-delay",
        "createdAt": 1000.5,
        "expiresAt": 1090.25,
        "ownerPid": 7,
        "ownerStart": 99,
        "undo": [
            {"action": "signal", "pid": 42, "starttime": 1234, "signal": "SIGCONT"},
            {
                "action": "http",
                "method": "DELETE",
                "url": "http://127.0.0.1:9/proxies/p/toxics/t",
                "body": None,
                "ok": [200, 204, 404],
            },
            {
                "action": "http",
                "method": "POST",
                "url": "http://127.0.0.1:9/proxies/p",
                "body": {"enabled": True},
                "ok": [200],
            },
            {"action": "killpg", "pid": 43, "starttime": 5678},
        ],
    }


def test_a_record_written_by_the_previous_writer_is_read(tmp_path: Path) -> None:
    """The old driver dumped a dict; an http action without ``ok`` meant 200 or 204."""
    path = tmp_path / "old.json"
    path.write_text(
        json.dumps(
            {
                "runId": "old",
                "expiresAt": 5.0,
                "ownerPid": 1,
                "ownerStart": 2,
                "undo": [{"action": "http", "method": "POST", "url": "http://127.0.0.1:9/release"}],
            }
        )
    )
    record = records.read(path)
    assert record is not None
    assert (record.run_id, record.expires_at, record.owner_pid, record.owner_start) == (
        "old",
        5.0,
        1,
        2,
    )
    assert record.undo == (HttpAction("POST", "http://127.0.0.1:9/release", None, (200, 204)),)


def test_a_damaged_record_reads_as_expired_and_ownerless_so_its_fault_is_ended(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"runId": "x", "expiresAt": "soon", "undo": [{"action": "dance"}]}))
    record = records.read(path)
    assert record is not None
    assert record.expires_at == 0.0 and record.owner_pid == 0
    assert record.undo == (UnknownAction("dance"),)
    assert undo.run_all(record.undo) == ["unknown undo action 'dance'"]
    path.write_text("[1, 2]")
    assert records.read(path) is None
    assert records.read(tmp_path / "missing.json") is None


def test_with_undo_replaces_only_the_actions() -> None:
    more = RECORD.with_undo((*ACTIONS, GroupKillAction(1, 2)))
    assert more.undo[-1] == GroupKillAction(1, 2) and more.run_id == RECORD.run_id


def test_undo_builders_make_typed_actions() -> None:
    proc = procs.Proc(10, 20, "x")
    assert undo.signal_action(proc, signal.SIGCONT) == SignalAction(10, 20, "SIGCONT")
    assert undo.group_kill_action(proc) == GroupKillAction(10, 20)
    assert undo.http_action("POST", "http://h/x", ok_statuses=(200,)) == HttpAction(
        "POST", "http://h/x", None, (200,)
    )


def test_an_http_undo_goes_through_httpjson_and_reports_an_unreachable_backend() -> None:
    # 127.0.0.1:9 (discard) refuses connections: the message is httpjson's, method and URL first
    error = undo.run_action(HttpAction("DELETE", "http://127.0.0.1:9/x"), timeout=1.0)
    assert error.startswith("DELETE http://127.0.0.1:9/x: ")
    assert undo.run_action(HttpAction("GET", "file:///etc/passwd")) == (
        "refusing undo URL 'file:///etc/passwd': expected http(s)"
    )


def test_a_signal_to_a_process_that_is_gone_is_done() -> None:
    assert undo.run_action(SignalAction(pid=2**22 + 1, starttime=1, signal="SIGCONT")) == ""


def test_an_http_undo_is_one_httpjson_call_with_its_body(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, object, float]] = []

    def fake_call(
        method: str, url: str, body: object = None, timeout: float = 5.0
    ) -> tuple[int, object]:
        calls.append((method, url, body, timeout))
        return 404, None

    monkeypatch.setattr(undo, "call", fake_call)
    action = HttpAction("POST", "http://127.0.0.1:9/p", body={"enabled": True}, ok=(200,))
    assert undo.run_action(action, timeout=2.0) == "http://127.0.0.1:9/p: HTTP 404"
    assert undo.run_action(HttpAction("DELETE", "http://127.0.0.1:9/t")) == ""
    assert calls == [
        ("POST", "http://127.0.0.1:9/p", {"enabled": True}, 2.0),
        ("DELETE", "http://127.0.0.1:9/t", None, 5.0),
    ]
