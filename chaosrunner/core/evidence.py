"""Evidence beside the SLI series: expected alerts seen, goroutine profiles, and provenance.

These are the journal's records of issue #11's facts, kept apart from ``journal.py`` so each
has one shape in memory and one in JSON (camelCase keys, like the rest of the journal):

- :class:`ExpectedAlertRecord`: an alert the experiment expects (``spec.alerts``), in the header.
- :class:`AlertReading`: one expected alert on one tick: firing, not firing, or unknown (the
  query failed or its data was stale). Alerts are sampled with the SLIs, on every tick, through
  the same concurrent prober (``count(ALERTS{alertname="X",alertstate="firing"})``: a number is
  firing, no data is "not firing", an error or stale data is unknown).
- :class:`ProfileRecord`: one goroutine-profile capture (``?debug=1``) of one target, saved as a
  file beside the journal; a failed capture keeps its error and no file, never skipped.
- :class:`Provenance`: what a reader needs to trust and reproduce the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any


class AlertState(StrEnum):
    FIRING = "firing"
    NOT_FIRING = "not-firing"
    #: The query failed, answered from stale data, or was not sampled: no evidence either way.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ExpectedAlertRecord:
    name: str
    #: Seconds after the first fault started by which it must fire; None: before the run ends.
    within: float | None
    required: bool

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "within": self.within, "required": self.required}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ExpectedAlertRecord:
        return cls(str(raw["name"]), raw.get("within"), bool(raw.get("required", False)))


@dataclass(frozen=True)
class AlertReading:
    alert: str
    at: float
    state: AlertState
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"alert": self.alert, "at": round(self.at, 3), "state": self.state}
        if self.why:
            out["why"] = self.why
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> AlertReading:
        return cls(raw["alert"], float(raw["at"]), AlertState(raw["state"]), raw.get("why", ""))


class CaptureLabel(StrEnum):
    """When a profile was captured."""

    BASELINE = "baseline"
    BLAST = "blast"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class ProfileRecord:
    target: str
    label: CaptureLabel
    at: float
    #: The file, relative to the journal's directory ("" when the capture failed).
    path: str
    #: Where it was read from (no credentials).
    source: str
    #: Total goroutines in the profile, or None when the capture failed or did not parse.
    goroutines: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "label": self.label.value,
            "at": round(self.at, 3),
            "path": self.path,
            "source": self.source,
            "goroutines": self.goroutines,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ProfileRecord:
        return cls(
            raw["target"],
            CaptureLabel(raw["label"]),
            float(raw["at"]),
            raw.get("path", ""),
            raw.get("source", ""),
            raw.get("goroutines"),
            raw.get("error", ""),
        )


@dataclass(frozen=True)
class Provenance:
    """Who ran what, where and how; ``variables`` are resolved, secrets masked as ``***``."""

    version: str
    experiment_path: str
    experiment_sha256: str
    variables: tuple[tuple[str, str], ...]
    command_line: tuple[str, ...]
    env: str
    driver: str
    host: str
    user: str
    #: The local time zone's offset from UTC at the start, in seconds (ISO times use it).
    utc_offset_seconds: int
    lab_profile: str | None = None

    def iso(self, t: float | None) -> str | None:
        """``t`` (epoch seconds) in ISO 8601 with this run's UTC offset."""
        if t is None:
            return None
        zone = timezone(timedelta(seconds=self.utc_offset_seconds))
        return datetime.fromtimestamp(t, UTC).astimezone(zone).isoformat(timespec="seconds")

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "experimentPath": self.experiment_path,
            "experimentSha256": self.experiment_sha256,
            "variables": dict(self.variables),
            "commandLine": list(self.command_line),
            "env": self.env,
            "driver": self.driver,
            "host": self.host,
            "user": self.user,
            "utcOffsetSeconds": self.utc_offset_seconds,
            "labProfile": self.lab_profile,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Provenance:
        return cls(
            version=raw.get("version", ""),
            experiment_path=raw.get("experimentPath", ""),
            experiment_sha256=raw.get("experimentSha256", ""),
            variables=tuple((str(k), str(v)) for k, v in raw.get("variables", {}).items()),
            command_line=tuple(raw.get("commandLine", ())),
            env=raw.get("env", ""),
            driver=raw.get("driver", ""),
            host=raw.get("host", ""),
            user=raw.get("user", ""),
            utc_offset_seconds=int(raw.get("utcOffsetSeconds", 0)),
            lab_profile=raw.get("labProfile"),
        )


SECRET_MASK = "***"  # noqa: S105 - the mask, not a password


def masked(variables: Mapping[str, str], secrets: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """Resolved variables for the record, sorted: every secret value replaced by ``***``
    (``secrets`` holds the values of secret variables, as ``core/source.py`` collects them)."""
    return tuple(
        (k, SECRET_MASK if v and v in secrets else v) for k, v in sorted(variables.items())
    )
