"""``notify: {webhook: ...}`` in an experiment or GameDay file: used when --webhook is not given,
checked at FILE:LINE:COLUMN like any other field."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosrunner.adapters.webhook import WebhookNotifier
from chaosrunner.cli import main
from chaosrunner.core import validate
from chaosrunner.core.gameday import check_gameday, load_gameday
from chaosrunner.core.notify import Delivery, Notice, WebhookConfig
from chaosrunner.runner import steady
from tests.support import BASE
from tests.unit.cli.conftest import Fakes

NOTIFY = """\
  notify:
    webhook: {url: "http://127.0.0.1:9/from-file", timeoutSeconds: 1.5, retries: 1}
"""
WITH_NOTIFY = BASE.replace("  schedule:", NOTIFY + "  schedule:")
GAMEDAY = """\
apiVersion: chaosrunner.io/v1alpha1
kind: GameDay
metadata: {name: notified}
spec:
  coolDown: 0s
  steadyTimeout: 5s
  notify:
    webhook: {url: "http://127.0.0.1:9/game-day"}
  experiments:
    - file: exp.yaml
"""


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(url, event) of every notice sent, nothing on the wire."""
    sent: list[tuple[str, str]] = []

    def notify(self: WebhookNotifier, notice: Notice) -> Delivery:
        sent.append((self.config.url, notice.event.value))
        return Delivery(notice.event, ok=True, attempts=1)

    monkeypatch.setattr(WebhookNotifier, "notify", notify)
    return sent


def test_an_experiments_notify_block_is_its_webhook() -> None:
    exp = validate.load(WITH_NOTIFY, "exp.yaml", environ={})
    assert exp.notify == WebhookConfig("http://127.0.0.1:9/from-file", 1.5, 1)
    assert validate.load(BASE, "exp.yaml", environ={}).notify is None


def test_a_bad_notify_block_is_an_error_at_its_line() -> None:
    bad = WITH_NOTIFY.replace('"http://127.0.0.1:9/from-file"', "ftp://x").replace(
        "retries: 1", "retries: 99"
    )
    shown = [str(p) for p in validate.check(bad, "exp.yaml", environ={})]
    assert shown == [
        "exp.yaml:34:20: spec.notify.webhook.url: 'ftp://x' is not valid; expected an http(s) URL",
        "exp.yaml:34:59: spec.notify.webhook.retries: 99 is out of range; 99 is greater than "
        "the maximum of 10",
    ]


def test_run_posts_to_the_files_webhook_unless_one_is_given(
    fakes: Fakes, tmp_path: Path, posted: list[tuple[str, str]]
) -> None:
    fakes.file.write_text(WITH_NOTIFY)
    assert main(["run", str(fakes.file), "--output-dir", str(tmp_path / "a")]) == 0
    assert posted == [
        ("http://127.0.0.1:9/from-file", "started"),
        ("http://127.0.0.1:9/from-file", "verdict"),
    ]
    posted.clear()
    given = ["--webhook", "http://127.0.0.1:9/given"]
    assert main(["run", str(fakes.file), "--output-dir", str(tmp_path / "b"), *given]) == 0
    assert {url for url, _ in posted} == {"http://127.0.0.1:9/given"}


def test_a_game_days_webhook_gets_each_experiments_notices(
    fakes: Fakes, tmp_path: Path, posted: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steady, "PrometheusSource", lambda _cfg, **_kw: fakes.metrics)
    fakes.file.write_text(WITH_NOTIFY)  # the game day's webhook wins over the file's
    day = tmp_path / "gameday.yaml"
    day.write_text(GAMEDAY)
    assert load_gameday(GAMEDAY, "g.yaml").notify == WebhookConfig("http://127.0.0.1:9/game-day")
    assert main(["gameday", "run", str(day), "--output-dir", str(tmp_path / "o")]) == 0
    assert posted == [
        ("http://127.0.0.1:9/game-day", "started"),
        ("http://127.0.0.1:9/game-day", "verdict"),
    ]


def test_a_bad_game_day_notify_block_is_an_error_at_its_line() -> None:
    bad = GAMEDAY.replace('{url: "http://127.0.0.1:9/game-day"}', "{url: x, retries: -1, to: 1}")
    shown = [str(p) for p in check_gameday(bad, "g.yaml")]
    assert any(s.startswith("g.yaml:8:") and "spec.notify.webhook.url: got 'x'" in s for s in shown)
    assert any("spec.notify.webhook.retries: got -1" in s for s in shown), shown
    assert any("spec.notify.webhook.to: unknown field" in s for s in shown), shown
