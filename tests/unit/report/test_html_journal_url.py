"""The journal records the Prometheus its SLIs were read from (for the report's graph links),
without credentials, in both its forms; journals written before it read with none."""

from __future__ import annotations

from chaosrunner.core.journal import (
    Journal,
    Started,
    event_from_dict,
    event_to_dict,
    without_userinfo,
)
from tests.unit.core.builders import journal_with


def test_the_url_survives_both_forms_of_the_journal() -> None:
    journal = journal_with()
    journal.prometheus_url = "http://127.0.0.1:9090"
    raw = journal.to_dict()
    assert raw["prometheusUrl"] == "http://127.0.0.1:9090"
    assert Journal.from_dict(raw).prometheus_url == "http://127.0.0.1:9090"
    header = Started(
        "r", "e", "s", "lab", "local", 1.0, {}, (), (), (), False, {}, "http://p:9090/prom"
    )
    line = event_to_dict(header)
    assert line["prometheusUrl"] == "http://p:9090/prom"
    again = event_from_dict(line)
    assert again == header
    assert Journal.replay([again]).prometheus_url == "http://p:9090/prom"


def test_older_journals_read_without_a_url() -> None:
    raw = journal_with().to_dict()
    del raw["prometheusUrl"]
    for version in (1, 2, 3):
        assert Journal.from_dict({**raw, "schemaVersion": version}).prometheus_url == ""
    line = event_to_dict(Started("r", "e", "s", "lab", "local", 1.0, {}, (), (), (), False, {}))
    del line["prometheusUrl"]
    started = event_from_dict(line)
    assert isinstance(started, Started) and started.prometheus_url == ""


def test_credentials_never_reach_the_journal() -> None:
    assert (
        without_userinfo("https://bob:s3cret@prom.example:9090/x") == "https://prom.example:9090/x"
    )
    assert without_userinfo("http://127.0.0.1:9090") == "http://127.0.0.1:9090"
    assert without_userinfo("http://h:9/a@b") == "http://h:9/a@b"  # an @ in the path stays
