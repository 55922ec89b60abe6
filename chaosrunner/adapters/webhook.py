"""The generic webhook: a JSON POST per notice, with a timeout and retries, never failing a run.

Each attempt is bounded by ``timeout`` seconds (a server that hangs costs at most
``timeout * (retries + 1)`` plus the pauses); a 2xx answer is delivered, anything else (a
5xx, a refused connection, a timeout) is retried after a short pause that doubles. After the
last attempt the failure is logged and returned as a :class:`Delivery`; it never raises, so
the run's verdict and exit code cannot depend on a chat server.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from chaosrunner.core.notify import Delivery, Notice, WebhookConfig

log = structlog.get_logger("chaosrunner.webhook")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class WebhookNotifier:
    config: WebhookConfig
    sleep: Callable[[float], None] = time.sleep
    deliveries: list[Delivery] = field(default_factory=list)

    def notify(self, notice: Notice) -> Delivery:
        try:
            delivery = self._send(notice)
        except Exception as exc:  # noqa: BLE001 - a notice must never fail the run
            delivery = Delivery(notice.event, ok=False, attempts=0, error=_describe(exc))
        self.deliveries.append(delivery)
        if not delivery.ok:
            with contextlib.suppress(Exception):  # the delivery is returned, logged or not
                log.warning(
                    "webhook not delivered",
                    notice=notice.event.value,
                    attempts=delivery.attempts,
                    error=delivery.error,
                )
        return delivery

    def _send(self, notice: Notice) -> Delivery:
        body = json.dumps(notice.to_json()).encode()
        error = ""
        pause = self.config.backoff
        attempts = max(0, self.config.retries) + 1
        for attempt in range(1, attempts + 1):
            request = urllib.request.Request(  # noqa: S310 - the user's own webhook URL
                self.config.url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "chaosrunner"},
            )
            try:
                with _OPENER.open(request, timeout=self.config.timeout) as response:
                    response.read(65536)
                    return Delivery(notice.event, ok=True, attempts=attempt)
            except urllib.error.HTTPError as exc:
                error = f"HTTP {exc.code} from {self.config.url}"
            except (OSError, ValueError) as exc:
                error = f"{self.config.url}: {_describe(exc)}"
            if attempt < attempts:
                self.sleep(pause)
                pause *= 2
        return Delivery(notice.event, ok=False, attempts=attempts, error=error)


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if reason is not None:
        return str(reason)
    return f"{type(exc).__name__}: {exc}"
