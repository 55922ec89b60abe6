"""Goroutine-profile evidence read back from the files a run left beside its journal.

The journal records each capture (``profiles[]``: target, label, file, error); the files hold
the profiles. The reports diff them per target (``core/goroutines.py``), whether at the end of
the run or when ``chaosrunner report`` rebuilds them later from the run directory. A capture
that failed, or whose file is gone or unreadable, keeps its reason so the report states it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.evidence import ProfileRecord
from chaosrunner.core.goroutines import (
    Capture,
    TargetProfiles,
    parse_goroutine_profile,
    target_profiles,
)
from chaosrunner.core.journal import Journal


def load_captures(profiles: Sequence[ProfileRecord], run_dir: Path, target: str) -> list[Capture]:
    """One target's captures in journal order, read back from the files beside the journal,
    for ``core/goroutines.diff_profiles``; a failed or unreadable capture keeps its error."""
    out = []
    for rec in (p for p in profiles if p.target == target):
        if rec.error or not rec.path:
            out.append(Capture(rec.label.value, None, rec.error or "no file"))
            continue
        try:
            profile = parse_goroutine_profile((run_dir / rec.path).read_text(encoding="utf-8"))
        except (OSError, ChaosRunnerError) as exc:
            out.append(Capture(rec.label.value, None, f"cannot read {rec.path}: {exc}"))
            continue
        out.append(Capture(rec.label.value, profile))
    return out


def profile_evidence(journal: Journal, run_dir: Path | None) -> tuple[TargetProfiles, ...]:
    """Each captured target's profiles and stack growth; without a run directory (a journal
    given as text), the captures are listed as unreadable, never dropped."""
    targets = list(dict.fromkeys(p.target for p in journal.profiles))
    out = []
    for target in targets:
        if run_dir is None:
            captures = [
                Capture(p.label.value, None, p.error or "no run directory to read it from")
                for p in journal.profiles
                if p.target == target
            ]
        else:
            captures = load_captures(journal.profiles, run_dir, target)
        out.append(target_profiles(target, captures))
    return tuple(out)
