"""Thousands of seeded mutants of the shipped experiments through ``validate``, ``render`` and
``run --dry-run``: no traceback, exit 0 or 4, every problem line located, bounded cost.

The CLI runs in this process for speed (a few milliseconds a command); a handful of mutants also
go through a real process. Prometheus, Toxiproxy, the demo and the Kubernetes API all point at a
loopback port nothing listens on, the lab state is private, and nothing can dial off loopback.
On failure the message names the seed and the mutants, saves each under .cache/fuzz/, and says
how to replay them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.harness import (
    Outcome,
    excerpt,
    loopback_only,
    point_at_dead_ends,
    run_in_process,
    violations,
)
from tests.fuzz.mutate import CORPUS, ROOT, Mutant, mutant

SEED = int(os.environ.get("CHAOSRUNNER_FUZZ_SEED", "20261129"))
MUTANTS = int(os.environ.get("CHAOSRUNNER_FUZZ_MUTANTS", "3000"))
ONLY = [int(i) for i in os.environ.get("CHAOSRUNNER_FUZZ_ONLY", "").split(",") if i.strip()]
DRY_RUN_EVERY = 3  # a dry run costs about three validations
SAVED = ROOT / ".cache" / "fuzz"


@pytest.fixture
def dead_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return point_at_dead_ends(tmp_path, monkeypatch)


def _commands(m: Mutant, path: Path, out: Path, *, dry_run: bool = False) -> list[list[str]]:
    commands = [m.argv("validate", path), m.argv("render", path, "--env", "cluster")]
    if dry_run or m.index % DRY_RUN_EVERY == 0:
        commands.append(m.argv("run", path, "--dry-run", "--output-dir", str(out)))
    return commands


Failure = tuple[Mutant, Outcome, list[str]]


def _report(m: Mutant, outcome: Outcome, broken: list[str]) -> str:
    SAVED.mkdir(parents=True, exist_ok=True)
    saved = SAVED / f"seed{SEED}-mutant{m.index}.yaml"
    saved.write_bytes(m.data)
    return (
        f"{m.describe()}\n  broke: {'; '.join(broken)}\n  saved: {saved}\n"
        + "  "
        + excerpt(outcome).replace("\n", "\n  ")
    )


def _fail(failures: list[Failure], tried: int) -> None:
    shown = failures[:8]
    ids = ",".join(str(m.index) for m, _, _ in failures[:40])
    header = (
        f"seed {SEED}: {len(failures)} of {tried} mutants broke the contract; replay with\n"
        f"  CHAOSRUNNER_FUZZ_SEED={SEED} CHAOSRUNNER_FUZZ_ONLY={ids} "
        ".venv/bin/pytest -m fuzz tests/fuzz\n\n"
    )
    pytest.fail(header + "\n\n".join(_report(*f) for f in shown), pytrace=False)


def test_the_corpus_is_every_shipped_experiment() -> None:
    names = {p.name for p in CORPUS}
    assert {"redis-timeout.yaml", "demo-kill.yaml", "kill-me.yaml", "cluster-dns.yaml"} <= names
    assert mutant(SEED, 7) == mutant(SEED, 7)  # a mutant is reproduced by (seed, index) alone


def test_every_mutant_keeps_the_contract_in_process(dead_ends: str, tmp_path: Path) -> None:
    sys.stderr.write(f"fuzz seed {SEED}, {len(ONLY) or MUTANTS} mutants\n")
    path = tmp_path / "mutant.yaml"
    out = tmp_path / "out"
    failures: list[Failure] = []
    indices = ONLY or range(MUTANTS)
    with loopback_only():
        for index in indices:
            m = mutant(SEED, index)
            path.write_bytes(m.data)
            for argv in _commands(m, path, out):
                outcome = run_in_process(argv)
                broken = violations(outcome, path)
                if broken:
                    failures.append((m, outcome, broken))
                    break
    if failures:
        _fail(failures, len(indices))


def test_some_mutants_keep_it_through_a_real_process(dead_ends: str, tmp_path: Path) -> None:
    failures: list[Failure] = []
    path = tmp_path / "mutant.yaml"
    for index in ONLY or range(0, MUTANTS, max(1, MUTANTS // 4)):
        m = mutant(SEED, index)
        path.write_bytes(m.data)
        for argv in _commands(m, path, tmp_path / "out", dry_run=True):
            done = subprocess.run(
                [sys.executable, "-m", "tests.fuzz.harness", *argv],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=60,
                check=False,
            )
            outcome = Outcome(tuple(argv), done.returncode, done.stdout, done.stderr, 0, 0, 0)
            broken = violations(outcome, path)
            if broken:
                failures.append((m, outcome, broken))
                break
    if failures:
        _fail(failures, len(ONLY) or 4)
