"""What chaosrunner tells the outside world about a run: start, verdict, abort.

Teams post these to chat. A notice is a fact about the run, never part of it: a notifier must
not raise, and nothing it returns can change a verdict or an exit code. The transport (a
webhook today) is an adapter behind :class:`Notifier`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True)
class WebhookConfig:
    """Where notices go: ``notify: {webhook: {url, timeoutSeconds, retries}}`` or --webhook."""

    url: str
    timeout: float = 5.0
    retries: int = 2
    #: The first pause between attempts; it doubles after each.
    backoff: float = 0.5


#: The ``notify`` block's JSON Schema, for any file that takes one (experiment, game day).
NOTIFY_SCHEMA: dict[str, object] = {
    "type": "object",
    "additionalProperties": False,
    "description": "Who is told of the run's start, verdict and abort (never changes a verdict).",
    "properties": {
        "webhook": {
            "type": "object",
            "additionalProperties": False,
            "required": ["url"],
            "properties": {
                "url": {"type": "string", "pattern": "^https?://", "x-expected": "an http(s) URL"},
                "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0},
                "retries": {"type": "integer", "minimum": 0, "maximum": 10},
            },
        }
    },
}


def webhook_of(notify: Mapping[str, Any] | None) -> WebhookConfig | None:
    """The webhook a schema-checked ``notify`` block names, or None."""
    raw = (notify or {}).get("webhook")
    if not isinstance(raw, Mapping):
        return None
    return WebhookConfig(
        str(raw["url"]), float(raw.get("timeoutSeconds", 5.0)), int(raw.get("retries", 2))
    )


class NoticeEvent(StrEnum):
    STARTED = "started"
    VERDICT = "verdict"
    ABORTED = "aborted"


@dataclass(frozen=True)
class Notice:
    event: NoticeEvent
    #: "experiment" for one run, "gate" for the red-blue gate as a whole.
    scope: str
    name: str
    run_id: str
    at: str
    verdict: str = ""
    exit_code: int | None = None
    reasons: tuple[str, ...] = ()
    output_dir: str = ""

    def to_json(self) -> dict[str, object]:
        """The JSON body a webhook receives."""
        body: dict[str, object] = {
            "event": self.event.value,
            "scope": self.scope,
            "name": self.name,
            "runId": self.run_id,
            "at": self.at,
        }
        if self.verdict:
            body.update(verdict=self.verdict, exitCode=self.exit_code, reasons=list(self.reasons))
        if self.output_dir:
            body["outputDir"] = self.output_dir
        return body


@dataclass(frozen=True)
class Delivery:
    """How one notice went: delivered, or the error after every attempt."""

    event: NoticeEvent
    ok: bool
    attempts: int
    error: str = ""


class Notifier(Protocol):
    def notify(self, notice: Notice) -> Delivery:
        """Send ``notice``; never raises: a failure is the returned Delivery."""
        ...


class NoNotifier:
    def notify(self, notice: Notice) -> Delivery:
        return Delivery(notice.event, ok=True, attempts=0)


def failures(deliveries: Sequence[Delivery]) -> tuple[str, ...]:
    return tuple(f"webhook {d.event.value}: {d.error}" for d in deliveries if not d.ok)
