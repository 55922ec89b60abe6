"""The structured fuzzer (marked ``fuzz`` by its folder, in tests/conftest.py).

Run it with ``pytest -m fuzz tests/fuzz`` (about 30-60 s on two cores). ``CHAOSRUNNER_FUZZ_SEED``
picks another seed, ``CHAOSRUNNER_FUZZ_MUTANTS`` another count, and ``CHAOSRUNNER_FUZZ_ONLY=I``
(a comma-separated list) replays only the mutants a failure named.
"""
