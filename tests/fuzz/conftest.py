"""The structured fuzzer: every test under tests/fuzz gets the ``fuzz`` marker.

Run it with ``pytest -m fuzz tests/fuzz`` (about 30-60 s on two cores). ``CHAOSRUNNER_FUZZ_SEED``
picks another seed, ``CHAOSRUNNER_FUZZ_MUTANTS`` another count, and ``CHAOSRUNNER_FUZZ_ONLY=I``
(a comma-separated list) replays only the mutants a failure named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FUZZ_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: the seeded structured fuzzer over the experiments")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if FUZZ_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.fuzz)
