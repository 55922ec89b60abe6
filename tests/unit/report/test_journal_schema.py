"""The journal's format (schema version 4): every key chaosrunner chooses is camelCase, the
shipped JSON Schema (``schemas/journal-v4.json``) describes every field and accepts real
journals, and journals and event logs written before version 4 (snake_case records) still read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from chaosrunner.core.evidence import AlertState, CaptureLabel
from chaosrunner.core.journal import (
    AbortReason,
    FailureStage,
    Journal,
    event_from_dict,
    event_to_dict,
    snake,
)
from chaosrunner.core.model import JudgeRule, NoDataPolicy, Phase
from chaosrunner.core.units import Comparator
from chaosrunner.core.verdict import Verdict
from chaosrunner.runner.provenance import provenance_of
from tests.support import experiment
from tests.unit.run.test_report_evidence import (
    PPROF,
    SECRET,
    FakeFetcher,
    run,
    with_alert,
)

ROOT = Path(__file__).parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "journal-v4.json").read_text())
FIXTURES = Path(__file__).parent / "fixtures"
#: Maps whose keys are data (names, parameters), not chaosrunner's own keys.
DATA_MAPS = {"series", "details", "params", "variables", "guardrailBlindTicks"}
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
#: The records versions 1-3 wrote with ``asdict`` (snake_case keys); the rest were camelCase.
ASDICT_RECORDS = {
    "slis",
    "phases",
    "preflight",
    "injections",
    "plan",
    "guardrailEvents",
    "staleReadings",
    "abort",
    "failure",
}


def as_json(journal: Journal) -> dict[str, Any]:
    return json.loads(json.dumps(journal.to_dict(), allow_nan=False))  # type: ignore[no-any-return]


def produced(tmp_path: Path) -> list[dict[str, Any]]:
    """Journals of real (unit-test) runs: alerts, profiles, a failed capture, provenance."""
    path = tmp_path / "exp.yaml"
    path.write_text(SECRET)
    exp = experiment(SECRET)
    prov = provenance_of(type(exp)(**{**exp.__dict__, "source": str(path)}), ["chaosrunner"])
    pprof = with_alert(required=True).replace(
        "lab: {process: {pidFile: /tmp/none.pid}}",
        "lab: {process: {pidFile: /tmp/none.pid}, pprof: {url: 'http://127.0.0.1:9/debug/pprof'}}",
    )
    assert pprof != with_alert(required=True) and "pprof" in PPROF
    runs = [
        run(pprof, "fires", fetcher=FakeFetcher(), out=tmp_path / "a")[0],
        run(with_alert(required=True), "silent")[0],
        run(with_alert(required=False), "errors")[0],
        run(SECRET, "silent", provenance=prov)[0],
    ]
    assert runs[0].journal.profiles and runs[0].journal.alert_readings
    assert runs[1].decision is not None and runs[1].decision.verdict is Verdict.FAILED
    return [as_json(r.journal) for r in runs]


def keys(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, k
            if k not in DATA_MAPS:
                yield from keys(v, f"{path}.{k}")
            elif k == "series":
                for s in v.values():
                    yield from keys(s, f"{path}.series[]")
    elif isinstance(node, list):
        for item in node:
            yield from keys(item, f"{path}[]")


def test_every_key_of_a_produced_journal_is_camel_case(tmp_path: Path) -> None:
    for raw in produced(tmp_path):
        bad = sorted({f"{p}.{k}" for p, k in keys(raw) if not CAMEL.match(k)})
        assert bad == [], bad
        assert raw["schemaVersion"] == 4


def test_the_shipped_schema_accepts_real_journals_and_the_fixture(tmp_path: Path) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    validator = Draft202012Validator(SCHEMA)
    old = Journal.from_dict(json.loads((FIXTURES / "journal-v1.json").read_text()))
    for raw in [*produced(tmp_path), as_json(old)]:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(raw)]
        assert errors == []


def test_the_schema_rejects_a_snake_case_record(tmp_path: Path) -> None:
    raw = produced(tmp_path)[0]
    raw["phases"][0]["started_at"] = raw["phases"][0].pop("startedAt")
    assert not Draft202012Validator(SCHEMA).is_valid(raw)


def _described(node: Any, path: str) -> Iterator[str]:
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            if "description" not in prop:
                yield f"{path}.{name}"
        for k, v in node.items():
            yield from _described(v, f"{path}.{k}")
    elif isinstance(node, list):
        for item in node:
            yield from _described(item, path)


def test_every_field_of_the_schema_is_described_and_its_enums_are_the_codes() -> None:
    assert list(_described(SCHEMA, "")) == []
    props = SCHEMA["properties"]
    sli = props["slis"]["items"]["properties"]
    assert set(sli["rule"]["enum"]) == {r.value for r in JudgeRule}
    assert set(sli["noData"]["enum"]) == {p.value for p in NoDataPolicy}
    assert set(sli["comparator"]["enum"]) == {c.value for c in Comparator}
    assert set(props["phases"]["items"]["properties"]["phase"]["enum"]) == {p.value for p in Phase}
    assert set(props["outcome"]["properties"]["verdict"]["enum"]) == {v.value for v in Verdict}
    assert set(props["abort"]["properties"]["reason"]["enum"]) == {r.value for r in AbortReason}
    assert set(props["failure"]["properties"]["stage"]["enum"]) == {s.value for s in FailureStage}
    alert = props["alertReadings"]["items"]["properties"]["state"]["enum"]
    assert set(alert) == {s.value for s in AlertState}
    label = props["profiles"]["items"]["properties"]["label"]["enum"]
    assert set(label) == {c.value for c in CaptureLabel}


def _snake_records(node: Any, under: str = "") -> Any:
    """What versions 1-3 wrote: the records' keys in snake_case (the header stayed camelCase)."""
    if isinstance(node, dict):
        return {
            (snake(k) if under else k): (v if k in DATA_MAPS else _snake_records(v, k))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_snake_records(v, under or "item") for v in node]
    return node


@pytest.mark.parametrize("version", [2, 3])
def test_a_journal_written_before_version_4_still_reads(tmp_path: Path, version: int) -> None:
    raw = produced(tmp_path)[0]
    old = {k: (_snake_records(v, k) if k in ASDICT_RECORDS else v) for k, v in raw.items()}
    old["schemaVersion"] = version
    assert old["phases"][0]["started_at"] and old["injections"][0]["confirmed_at"]
    assert as_json(Journal.from_dict(old)) == raw


def test_a_version_1_event_log_still_replays(tmp_path: Path) -> None:
    runner, sink, *_ = run(with_alert(required=True), "fires")
    lines = [json.loads(json.dumps(event_to_dict(e), allow_nan=False)) for e in sink.events]
    assert lines[0]["version"] == 2
    old = []
    for line in lines:
        snaked = dict(line)
        if line["e"] == "start":
            snaked["version"] = 1
            snaked["slis"] = _snake_records(line["slis"], "slis")
            snaked["plan"] = _snake_records(line["plan"], "plan")
        elif line["e"] == "injection":
            snaked["record"] = _snake_records(line["record"], "record")
        elif line["e"] in ("guardrail", "abort", "failure"):
            snaked = {snake(k): v for k, v in line.items()}
        old.append(snaked)
    assert any("confirmed_at" in line.get("record", {}) for line in old)
    replayed = Journal.replay([event_from_dict(line) for line in old])
    assert as_json(replayed) == as_json(runner.journal)


def test_an_escalated_removal_is_in_the_schema_and_reads_back(tmp_path: Path) -> None:
    """``injections[].escalation`` is optional: written only when a removal was escalated, so
    every journal without one is what version 4 wrote before; one with it validates too, and
    its event-log line replays to the same record."""
    from dataclasses import replace

    from chaosrunner.core.journal import EscalationRecord, InjectionChanged

    raw = produced(tmp_path)[0]
    assert all("escalation" not in i for i in raw["injections"])
    journal = Journal.from_dict(raw)
    esc = EscalationRecord(1.5, ("forced", "finalizer removed"), ("demo/p (Injected)",), (), ("x",))
    journal.injections[0] = replace(journal.injections[0], escalation=esc)
    written = as_json(journal)
    assert written["injections"][0]["escalation"] == {
        "at": 1.5,
        "steps": ["forced", "finalizer removed"],
        "notRecovered": ["demo/p (Injected)"],
        "removed": [],
        "mayRemain": ["x"],
    }
    assert list(Draft202012Validator(SCHEMA).iter_errors(written)) == []
    assert Journal.from_dict(written).injections[0].escalation == esc
    line = json.loads(json.dumps(event_to_dict(InjectionChanged(journal.injections[0]))))
    replayed = event_from_dict(line)
    assert isinstance(replayed, InjectionChanged) and replayed.record.escalation == esc
