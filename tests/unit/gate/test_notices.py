from __future__ import annotations

from pathlib import Path

import pytest

from chaosrunner.core.notify import (
    Delivery,
    Notice,
    NoticeEvent,
    WebhookConfig,
    failures,
    webhook_of,
)
from chaosrunner.core.verdict import Verdict
from chaosrunner.runner.session import _Notices
from tests.unit.gate.helpers import decision


class Recorder:
    def __init__(self, fail: bool = False, boom: bool = False) -> None:
        self.notices: list[Notice] = []
        self.fail, self.boom = fail, boom

    def notify(self, notice: Notice) -> Delivery:
        if self.boom:
            raise RuntimeError("broken notifier")
        self.notices.append(notice)
        return Delivery(notice.event, ok=not self.fail, attempts=1, error="HTTP 500")


@pytest.mark.parametrize(
    ("verdict", "event"),
    [
        (Verdict.PASSED, NoticeEvent.VERDICT),
        (Verdict.FAILED, NoticeEvent.VERDICT),
        (Verdict.ABORTED, NoticeEvent.ABORTED),
    ],
)
def test_a_run_tells_its_start_then_its_verdict_or_its_abort(
    verdict: Verdict, event: NoticeEvent
) -> None:
    rec = Recorder()
    notices = _Notices(rec, "redis-timeout", "run-1", Path("out"))
    notices.started()
    notices.ended(decision(verdict, reasons=("why",)))
    assert [n.event for n in rec.notices] == [NoticeEvent.STARTED, event]
    end = rec.notices[1].to_json()
    assert end["verdict"] == verdict.value and end["exitCode"] == verdict.exit_code
    assert end["reasons"] == ["why"] and "verdict" not in rec.notices[0].to_json()
    assert notices.errors == ()


def test_a_crash_before_any_verdict_is_told_as_error() -> None:
    rec = Recorder()
    _Notices(rec, "x", "run-1", Path("out")).ended(None)
    assert rec.notices[0].verdict == "ERROR" and rec.notices[0].exit_code == 4


def test_failed_or_raising_deliveries_are_recorded_never_raised() -> None:
    notices = _Notices(Recorder(fail=True), "x", "run-1", Path("out"))
    notices.started()
    broken = _Notices(Recorder(boom=True), "x", "run-1", Path("out"))
    broken.started()
    broken.ended(decision(Verdict.PASSED))
    assert notices.errors == ("webhook started: HTTP 500",)
    assert broken.errors == (
        "webhook started: RuntimeError: broken notifier",
        "webhook verdict: RuntimeError: broken notifier",
    )
    assert failures([Delivery(NoticeEvent.ABORTED, False, 3, "timed out")]) == (
        "webhook aborted: timed out",
    )


def test_a_notify_block_names_its_webhook() -> None:
    raw = {"webhook": {"url": "http://127.0.0.1:9/x", "timeoutSeconds": 2, "retries": 0}}
    assert webhook_of(raw) == WebhookConfig("http://127.0.0.1:9/x", 2.0, 0)
    assert webhook_of({}) is None and webhook_of(None) is None
