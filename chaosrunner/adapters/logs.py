"""structlog set-up: console lines on stderr, or JSON lines with ``--log-format json``.

Every event passes the redaction processor last, so secrets cannot reach a log line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from chaosrunner.adapters.redact import Redactor

_redactor = Redactor()


def set_secrets(redactor: Redactor) -> None:
    global _redactor  # noqa: PLW0603 - one process-wide log pipeline
    _redactor = redactor


def redact(text: str) -> str:
    """Mask the run's secrets in ``text`` (for lines written outside the log pipeline)."""
    return _redactor.text(text)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if _redactor:
        for key, value in event.items():
            event[key] = _redactor.value(value)  # nested too: a dict field may hold a secret
    return event


def configure(fmt: str = "console", verbosity: int = 0) -> None:
    level = (
        logging.WARNING - 10 * verbosity
        if fmt == "console"
        else logging.INFO - 10 * max(0, verbosity - 1)
    )
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(max(level, logging.DEBUG)),
        logger_factory=lambda *_: structlog.PrintLogger(
            file=sys.stdout if fmt == "json" else sys.stderr  # looked up per call, not bound once
        ),
        cache_logger_on_first_use=False,
    )
