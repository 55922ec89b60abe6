"""Goroutine-profile captures: files beside the journal, each one recorded, even when it failed.

A target whose binding names ``pprof`` is captured three times: at the end of the baseline, at
the end of the blast window (faults still active, before rollback), and after recovery. Each
instance's profile (``?debug=1``: goroutines aggregated by stack, easy to diff) is written to
``profiles/<target>-<label>.txt`` (``-<n>`` per instance when a selection has several pods) and
recorded in the journal with its goroutine total. A capture that could not be read, written or
parsed is recorded with its error and no file: evidence is never silently skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog

from chaosrunner.adapters.reports.profiles import load_captures
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.evidence import CaptureLabel, ProfileRecord
from chaosrunner.core.goroutines import parse_goroutine_profile
from chaosrunner.core.model import Experiment
from chaosrunner.core.ports import ProfileFetcher

PROFILES_DIR = "profiles"
__all__ = ["PROFILES_DIR", "Capturer", "load_captures"]
log = structlog.get_logger("chaosrunner.captures")


class Capturer:
    def __init__(
        self,
        experiment: Experiment,
        fetcher: ProfileFetcher | None,
        output_dir: Path | None,
        now: Callable[[], float],
    ) -> None:
        self.experiment = experiment
        self.fetcher = fetcher
        self.output_dir = output_dir
        self.now = now
        self.targets = tuple(
            name
            for name, target in experiment.targets.items()
            if experiment.env.name in target.bindings
            and target.bindings[experiment.env.name].pprof is not None
        )

    def capture(self, label: CaptureLabel) -> list[ProfileRecord]:
        """One capture of every target with a ``pprof`` binding (none: an empty list)."""
        return [rec for target in self.targets for rec in self._target(target, label)]

    def _target(self, target: str, label: CaptureLabel) -> list[ProfileRecord]:
        binding = self.experiment.binding(target)
        at = self.now()
        if self.fetcher is None or self.output_dir is None:
            why = "no profile fetcher for this run" if self.fetcher is None else "no output dir"
            return [ProfileRecord(target, label, at, "", "", None, why)]
        try:
            texts = self.fetcher.goroutines(binding)
        except ChaosRunnerError as exc:
            log.warning("profile capture failed", target=target, label=label.value, error=str(exc))
            return [ProfileRecord(target, label, at, "", "", None, str(exc))]
        if not texts:
            return [ProfileRecord(target, label, at, "", "", None, "no instance to capture")]
        out = []
        for i, got in enumerate(texts):
            suffix = f"-{i + 1}" if len(texts) > 1 else ""
            relative = f"{PROFILES_DIR}/{target}-{label.value}{suffix}.txt"
            try:
                total: int | None = parse_goroutine_profile(got.text).total
                error = ""
            except ChaosRunnerError as exc:
                total, error = None, f"the profile did not parse: {exc}"
            try:
                path = self.output_dir / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(got.text, encoding="utf-8")
            except OSError as exc:
                relative, error = "", f"cannot write the profile: {exc}"
            out.append(ProfileRecord(target, label, at, relative, got.source, total, error))
        return out
