"""A game day: several experiments run in order while people watch, judged as one.

This module is the pure part: the ``GameDay`` file's model and its validation (every problem at
``FILE:LINE:COLUMN`` with the field path, from the same bounded loader as experiments), the stop
policy, the aggregate verdict and the timeline the report shows. Running it (files, Prometheus,
signals) is ``runner/gameday.py``; its report is ``adapters/reports/gameday.py``.

The aggregate verdict is core/aggregate's, the same as the gate's: any ERROR, else any ABORTED
(an interrupted game day counts as one), else any FAILED, else any INCONCLUSIVE (an experiment
that was not run is missing evidence), else PASSED; dry runs only aggregate to DRY-RUN when all
are dry runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from chaosrunner.core.aggregate import aggregate as aggregate_verdicts
from chaosrunner.core.errors import ExperimentError, Problem
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.model import Sli
from chaosrunner.core.notify import WebhookConfig, webhook_of
from chaosrunner.core.ports import Reading
from chaosrunner.core.source import Document, Path, load_document
from chaosrunner.core.trends import Trend
from chaosrunner.core.units import format_duration, parse_duration
from chaosrunner.core.verdict import Verdict

API_VERSION = "chaosrunner.io/v1alpha1"
KIND = "GameDay"
#: Names become directory names and appear in links: a Kubernetes-style name, short.
NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_E = TypeVar("_E", bound=StrEnum)
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_COOL_DOWN = 30.0
DEFAULT_STEADY_TIMEOUT = 120.0
#: A note longer than this is cut (a note is a line in a timeline, not a document).
MAX_NOTE = 2000


class StopPolicy(StrEnum):
    #: Stop at the first experiment that is FAILED, ABORTED or ERROR; the rest are not run.
    FIRST_FAILURE = "first-failure"
    #: Run every experiment whatever the verdicts (an interruption still stops the game day).
    CONTINUE = "continue"


class Role(StrEnum):
    FACILITATOR = "facilitator"
    OBSERVER = "observer"
    ON_CALL = "on-call"


@dataclass(frozen=True)
class Participant:
    name: str
    role: Role


@dataclass(frozen=True)
class GameDayExperiment:
    #: The experiment file as written, relative to the game-day file's directory.
    file: str
    #: ``--var`` overrides for this experiment (over the game day's own ``vars``).
    vars: tuple[tuple[str, str], ...] = ()
    #: Where ``file`` stands in the game-day file: a missing file is reported there.
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)


@dataclass(frozen=True)
class GameDay:
    source: str
    name: str
    experiments: tuple[GameDayExperiment, ...]
    description: str = ""
    participants: tuple[Participant, ...] = ()
    cool_down: float = DEFAULT_COOL_DOWN
    #: How long to wait, after the cool-down, for the next experiment's SLIs to hold again.
    steady_timeout: float = DEFAULT_STEADY_TIMEOUT
    stop_on: StopPolicy = StopPolicy.FIRST_FAILURE
    #: The environment every experiment runs in (None: each file's spec.defaultEnv).
    environment: str | None = None
    #: Variables given to every experiment (each experiment's ``vars`` win).
    vars: tuple[tuple[str, str], ...] = ()
    #: ``spec.notify.webhook``: where every experiment's notices go when --webhook is not given.
    notify: WebhookConfig | None = None

    def vars_for(self, index: int, cli_vars: Mapping[str, str]) -> dict[str, str]:
        """The game day's vars, then the experiment's, then the command line's."""
        return {**dict(self.vars), **dict(self.experiments[index].vars), **dict(cli_vars)}


def peek_kind(text: str, file: str) -> str:
    """The document's ``kind`` ('' when unreadable): how ``validate`` tells files apart."""
    doc = load_document(text, file)
    data = doc.data
    return str(data.get("kind", "")) if isinstance(data, Mapping) else ""


def load_gameday(text: str, file: str, *, environ: Mapping[str, str] | None = None) -> GameDay:
    """The validated game day; raises ExperimentError with every problem found."""
    doc = load_document(text, file, environ=environ)
    if doc.data is None:
        raise ExperimentError(doc.problems)
    doc.problems.extend(problem for _path, problem in doc.unresolved)
    gameday = _Reader(doc).gameday()
    if doc.problems or gameday is None:
        raise ExperimentError(doc.problems)
    return gameday


def missing_file(gameday: GameDay, index: int, what: str) -> Problem:
    """A named experiment file that is not there, at its ``spec.experiments[i].file`` line."""
    entry = gameday.experiments[index]
    return Problem(
        gameday.source,
        entry.line,
        entry.column,
        f"spec.experiments[{index}].file",
        f"{entry.file!r} {what}; expected the path of an experiment file, relative to the "
        "game-day file",
    )


def check_gameday(
    text: str, file: str, *, environ: Mapping[str, str] | None = None
) -> list[Problem]:
    try:
        load_gameday(text, file, environ=environ)
    except ExperimentError as exc:
        return exc.problems
    return []


class _Reader:
    """Walks the document once, recording each problem where it stands."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def gameday(self) -> GameDay | None:
        root = self._mapping((), self.doc.data, ("apiVersion", "kind", "metadata", "spec"))
        if root is None:
            return None
        if root.get("apiVersion") != API_VERSION:
            self._bad(("apiVersion",), root.get("apiVersion"), f"expected {API_VERSION!r}")
        if root.get("kind") != KIND:
            self._bad(("kind",), root.get("kind"), f"expected {KIND!r}")
        meta = self._mapping(("metadata",), root.get("metadata"), ("name", "description"))
        spec_keys = (
            "participants",
            "experiments",
            "coolDown",
            "steadyTimeout",
            "stopOn",
            "environment",
            "vars",
            "notify",
        )
        spec = self._mapping(("spec",), root.get("spec"), spec_keys)
        if meta is None or spec is None:
            return None
        name = meta.get("name")
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            self._bad(
                ("metadata", "name"),
                name,
                "expected a name of lowercase letters, digits and '-', at most 63 characters "
                "(it names the output directory)",
            )
        description = self._string(("metadata", "description"), meta.get("description", ""))
        experiments = self._experiments(spec.get("experiments"))
        stop_on = self._choice(("spec", "stopOn"), spec.get("stopOn"), StopPolicy)
        env = spec.get("environment")
        if env is not None and (not isinstance(env, str) or not env):
            self._bad(("spec", "environment"), env, "expected the name of an environment")
        gameday = GameDay(
            source=self.doc.file,
            name=name if isinstance(name, str) else "",
            experiments=experiments,
            description=description,
            participants=self._participants(spec.get("participants")),
            cool_down=self._duration(("spec", "coolDown"), spec.get("coolDown"), DEFAULT_COOL_DOWN),
            steady_timeout=self._duration(
                ("spec", "steadyTimeout"), spec.get("steadyTimeout"), DEFAULT_STEADY_TIMEOUT
            ),
            stop_on=stop_on or StopPolicy.FIRST_FAILURE,
            environment=env if isinstance(env, str) and env else None,
            vars=self._vars(("spec", "vars"), spec.get("vars")),
            notify=self._notify(spec.get("notify")),
        )
        return None if self.doc.problems else gameday

    def _experiments(self, value: object) -> tuple[GameDayExperiment, ...]:
        path: Path = ("spec", "experiments")
        if not isinstance(value, list) or not value:
            self._bad(path, value, "expected a list of at least one {file: ..., vars: {...}}")
            return ()
        out = []
        for i, item in enumerate(value):
            entry = self._mapping((*path, i), item, ("file", "vars"))
            if entry is None:
                continue
            file = entry.get("file")
            if not isinstance(file, str) or not file.strip():
                self._bad((*path, i, "file"), file, "expected the path of an experiment file")
                continue
            line, column = self.doc.where((*path, i, "file"))
            overrides = self._vars((*path, i, "vars"), entry.get("vars"))
            out.append(GameDayExperiment(file, overrides, line, column))
        return tuple(out)

    def _participants(self, value: object) -> tuple[Participant, ...]:
        path: Path = ("spec", "participants")
        if value is None:
            return ()
        if not isinstance(value, list):
            self._bad(path, value, "expected a list of {name: ..., role: ...}")
            return ()
        out = []
        for i, item in enumerate(value):
            entry = self._mapping((*path, i), item, ("name", "role"))
            if entry is None:
                continue
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                self._bad((*path, i, "name"), name, "expected the participant's name")
            role = self._choice((*path, i, "role"), entry.get("role"), Role, required=True)
            if isinstance(name, str) and name.strip() and role is not None:
                out.append(Participant(name.strip(), role))
        return tuple(out)

    def _vars(self, path: Path, value: object) -> tuple[tuple[str, str], ...]:
        if value is None:
            return ()
        entries = self._mapping(path, value, None)
        if entries is None:
            return ()
        out = []
        for key, item in entries.items():
            if not _VAR_NAME.fullmatch(key):
                message = "expected a variable name ([A-Za-z_][A-Za-z0-9_]*)"
                self.doc.problem((*path, key), message, key=True)
            elif isinstance(item, bool):
                out.append((key, "true" if item else "false"))
            elif isinstance(item, (str, int, float)):
                out.append((key, str(item)))
            else:
                self._bad((*path, key), item, "expected a string or number (a --var value)")
        return tuple(out)

    def _notify(self, value: object) -> WebhookConfig | None:
        """``notify: {webhook: {url, timeoutSeconds, retries}}``: core/notify's NOTIFY_SCHEMA."""
        if value is None:
            return None
        path: Path = ("spec", "notify")
        notify = self._mapping(path, value, ("webhook",))
        if notify is None or notify.get("webhook") is None:
            return None
        path = (*path, "webhook")
        hook = self._mapping(path, notify["webhook"], ("url", "timeoutSeconds", "retries"))
        if hook is None:
            return None
        url, timeout, retries = (
            hook.get("url"),
            hook.get("timeoutSeconds", 5.0),
            hook.get("retries", 2),
        )
        bad = len(self.doc.problems)
        if not isinstance(url, str) or not re.match(r"https?://", url):
            self._bad((*path, "url"), url, "expected an http(s) URL")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            self._bad((*path, "timeoutSeconds"), timeout, "expected a number of seconds above 0")
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
            self._bad((*path, "retries"), retries, "expected a whole number from 0 to 10")
        return None if len(self.doc.problems) > bad else webhook_of(notify)

    def _duration(self, path: Path, value: object, default: float) -> float:
        if value is None:
            return default
        if not isinstance(value, str):
            self._bad(path, value, "expected a duration such as 30s or 2m")
            return default
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.doc.problem(path, str(exc))
            return default

    def _choice(
        self, path: Path, value: object, enum: type[_E], *, required: bool = False
    ) -> _E | None:
        if value is None and not required:
            return None
        for member in enum:
            if value == member.value:
                return member
        self._bad(path, value, f"expected one of {', '.join(e.value for e in enum)}")
        return None

    def _string(self, path: Path, value: object) -> str:
        if isinstance(value, str):
            return value
        self._bad(path, value, "expected a string")
        return ""

    def _mapping(
        self, path: Path, value: object, keys: Sequence[str] | None
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            what = "a mapping" if keys is None else f"a mapping with {', '.join(keys)}"
            self._bad(path, value, f"expected {what}")
            return None
        for key in value:
            if keys is not None and key not in keys:
                self.doc.problem(
                    (*path, key), f"unknown field; expected one of {', '.join(keys)}", key=True
                )
        return value

    def _bad(self, path: Path, value: object, expected: str) -> None:
        got = "missing" if value is None else f"got {_shown(value)}"
        self.doc.problem(path, f"{got}; {expected}")


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- running: the stop policy and the aggregate --------------------------------------------

#: The verdicts that stop a ``first-failure`` game day.
STOPPING = frozenset({Verdict.FAILED, Verdict.ABORTED, Verdict.ERROR})


def should_stop(policy: StopPolicy, verdict: Verdict) -> bool:
    return policy is StopPolicy.FIRST_FAILURE and verdict in STOPPING


@dataclass(frozen=True)
class ExperimentOutcome:
    """One experiment of the game day: what it was, and its verdict (None: not run)."""

    index: int
    name: str
    file: str
    verdict: Verdict | None = None
    score: float | None = None
    #: The main gaps: each SLI that fell short, then the verdict's reasons.
    gaps: tuple[str, ...] = ()
    #: The experiment's own report, relative to the game day's output directory.
    report: str = ""
    run_id: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    #: Why it was not run (the stop policy, an interruption) or why it could not finish.
    note: str = ""
    #: Against the earlier stored runs of the experiment in its environment (None: no store,
    #: or the run was not stored).
    trend: Trend | None = None

    @property
    def ran(self) -> bool:
        return self.verdict is not None


def aggregate(outcomes: Iterable[ExperimentOutcome], *, interrupted: bool = False) -> Verdict:
    """core/aggregate's verdict (the gate's too): a not-run experiment is INCONCLUSIVE and an
    interruption counts as an ABORTED run."""
    verdicts = [o.verdict if o.verdict is not None else Verdict.INCONCLUSIVE for o in outcomes]
    return aggregate_verdicts((*verdicts, Verdict.ABORTED) if interrupted else verdicts)


# --- the timeline ---------------------------------------------------------------------------


class EntryKind(StrEnum):
    START = "start"
    EXPERIMENT = "experiment"
    VERDICT = "verdict"
    COOL_DOWN = "cool-down"
    STEADY = "steady"
    NOTE = "note"
    INTERRUPTED = "interrupted"
    END = "end"


@dataclass(frozen=True, order=True)
class TimelineEntry:
    at: float
    kind: EntryKind = field(compare=False)
    text: str = field(compare=False)
    author: str = field(default="", compare=False)


@dataclass(frozen=True)
class GameDayRecord:
    """A game day as it went: what the report is drawn from."""

    gameday: GameDay
    gameday_id: str
    started_at: float
    ended_at: float
    outcomes: tuple[ExperimentOutcome, ...]
    events: tuple[TimelineEntry, ...] = ()
    interrupted: bool = False
    notes: tuple[TimelineEntry, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return aggregate(self.outcomes, interrupted=self.interrupted)

    def timeline(self) -> tuple[TimelineEntry, ...]:
        """Events and notes in time order (a stable sort: same-time events keep their order)."""
        return tuple(sorted((*self.events, *self.notes), key=lambda e: e.at))


def unmet(slis: Sequence[Sli], readings: Mapping[str, Reading]) -> tuple[str, ...]:
    """The SLIs not within their objective now (no data or a failed probe is not steady)."""
    out = []
    for sli in slis:
        r = readings.get(sli.name)
        if r is None or r.status is not SampleStatus.OK or r.value is None:
            why = r.error if r is not None and r.error else "no data"
            out.append(f"{sli.name} ({why[:80]})")
        elif not sli.objective.holds(r.value):
            out.append(f"{sli.name} = {r.value:.4g}, objective {sli.objective.text}")
    return tuple(out)


def header(index: int, total: int, name: str) -> str:
    """The live view's line before each experiment."""
    return f"experiment {index + 1}/{total}: {name}"


def describe_cool_down(seconds: float) -> str:
    return f"cool-down {format_duration(seconds)}"


# --- notes: one JSON object a line ---------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def note_line(at: float, text: str, author: str = "") -> str:
    """The line a note is appended as: one JSON object, no line break inside."""
    clean = _CONTROL.sub(" ", text).replace("\n", " ").strip()[:MAX_NOTE]
    if not clean:
        raise ValueError("the note is empty; expected some text")
    return json.dumps({"at": round(at, 3), "author": author, "text": clean}) + "\n"


def parse_notes(text: str) -> tuple[TimelineEntry, ...]:
    """Every well-formed note line; a line cut short or garbled is skipped, never fatal."""
    notes = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        at, body, author = item.get("at"), item.get("text"), item.get("author", "")
        if isinstance(at, (int, float)) and not isinstance(at, bool) and isinstance(body, str):
            who = author if isinstance(author, str) else ""
            notes.append(TimelineEntry(float(at), EntryKind.NOTE, body[:MAX_NOTE], who))
    return tuple(notes)
