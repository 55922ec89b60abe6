"""A few hundred mutants of the structured fuzzer (tests/fuzz) on every unit run.

The full fuzzer runs thousands under its own marker; this slice keeps the contract (no
traceback, exit 0 or 4, every problem line located, bounded cost) in the fast suite too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.harness import loopback_only, point_at_dead_ends, run_in_process, violations
from tests.fuzz.mutate import mutant

SEED = 8


def test_a_slice_of_the_fuzzer_keeps_the_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at_dead_ends(tmp_path, monkeypatch)
    path = tmp_path / "mutant.yaml"
    broken = []
    with loopback_only():
        for index in range(200):
            m = mutant(SEED, index)
            path.write_bytes(m.data)
            commands = [m.argv("validate", path), m.argv("render", path, "--env", "cluster")]
            if index % 4 == 0:
                commands.append(m.argv("run", path, "--dry-run", "--output-dir", str(tmp_path)))
            for argv in commands:
                found = violations(run_in_process(argv), path)
                if found:
                    broken.append(f"seed {SEED} {m.describe()}: {argv[0]}: {'; '.join(found)}")
                    break
    assert not broken, "\n".join(broken)
