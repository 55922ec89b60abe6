"""Object names, labels and the unit conversions, one rule per case."""

from __future__ import annotations

import re

import pytest

from chaosrunner.adapters.chaosmesh import RenderError, convert, meta

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.mark.parametrize(
    ("run_id", "fault", "expected"),
    [
        pytest.param("20250102-030405-a1b2c3", "redis-latency", "redis-latency-20250102-030405-a1b2c3", id="plain"),
        pytest.param("r1", "f", "f-r1", id="short"),
    ],
)  # fmt: skip
def test_names_are_fault_then_run_id_when_they_fit(run_id: str, fault: str, expected: str) -> None:
    assert meta.object_name(run_id, fault) == expected


@pytest.mark.parametrize(
    ("run_id", "fault"),
    [
        pytest.param("20250102-030405-a1b2c3", "a" * 63, id="too-long"),
        pytest.param("Run_ID.With.Dots", "f", id="invalid-characters"),
        pytest.param("-", "f", id="nothing-left"),
        pytest.param("2025" * 20, "x" * 40, id="both-long"),
    ],
)
def test_names_that_do_not_fit_are_trimmed_and_hashed(run_id: str, fault: str) -> None:
    name = meta.object_name(run_id, fault)
    assert len(name) <= 63
    assert DNS_LABEL.match(name)
    assert name == meta.object_name(run_id, fault)  # deterministic
    assert name != meta.object_name(run_id + "x", fault)


def test_names_that_clean_up_alike_stay_apart() -> None:
    assert meta.object_name("Run_1", "f") != meta.object_name("run-1", "f")
    assert meta.object_name("run_1", "f") != meta.object_name("run.1", "f")


@pytest.mark.parametrize("run_id", ["has space", "-starts-with-dash", "x" * 64, "ümlaut"])
def test_a_run_id_that_is_not_a_label_value_is_refused(run_id: str) -> None:
    with pytest.raises(RenderError, match=r"cannot be the label chaosrunner\.io/run-id"):
        meta.labels_for(run_id=run_id, experiment="e", fault="f")


def test_expires_at_is_rfc3339_utc() -> None:
    ann = meta.annotations_for(run_id="r", source="exp.yaml", expires_at=0.4)
    assert ann == {
        "chaosrunner.io/run-id": "r",
        "chaosrunner.io/source": "exp.yaml",
        "chaosrunner.io/expires-at": "1970-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(60.0, "1m"), (90.0, "1m30s"), (3600.0, "1h"), (0.25, "250ms"), (30.0004, "30001ms")],
)
def test_spec_duration_is_a_go_duration_rounded_up(seconds: float, expected: str) -> None:
    assert convert.go_duration(seconds) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("500ms", "500ms"), ("1m30s", "90s"), ("2m", "2m"), ("1h", "1h"), ("0.5ms", "500us"),
     ("1.5s", "1500ms"), ("90m", "90m")],
)  # fmt: skip
def test_latency_has_one_number_and_one_unit(text: str, expected: str) -> None:
    assert convert.single_unit(text) == expected
    assert re.fullmatch(r"[0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h)", expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1mbps", "1mbit"), ("100kbps", "100kbit"), ("1.5mbps", "1500kbit"), ("2gbps", "2gbit"),
     ("7bps", "7bit")],
)  # fmt: skip
def test_our_bits_per_second_become_tc_bits_not_bytes(text: str, expected: str) -> None:
    assert convert.tc_rate(text) == expected


def test_a_fraction_of_a_bit_is_refused() -> None:
    with pytest.raises(RenderError, match="whole number of bits"):
        convert.tc_rate("0.5bps")


@pytest.mark.parametrize(
    ("text", "expected"), [("25%", "25"), ("0.5%", "0.5"), ("100%", "100"), ("12.50%", "12.5")]
)
def test_netem_percentages_are_bare_decimal_strings(text: str, expected: str) -> None:
    assert convert.percent_text(text) == expected


@pytest.mark.parametrize("text", ["12.5%", "150%"])
def test_integer_percentages_refuse_what_they_cannot_hold(text: str) -> None:
    with pytest.raises(RenderError, match="expected a whole 0% to 100%"):
        convert.percent_int(text, "params.load")


@pytest.mark.parametrize(
    ("text", "expected"), [("-10m", "-10m"), ("1h30m", "1h30m"), ("-90s", "-1m30s")]
)
def test_time_offsets_keep_their_sign(text: str, expected: str) -> None:
    assert convert.signed_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "seconds"), [("400s", 400.0), ("1m30s", 90.0), ("1500ms", 1.5), ("2h", 7200.0)]
)
def test_go_durations_parse(text: str, seconds: float) -> None:
    assert convert.parse_go_duration(text) == pytest.approx(seconds)


def test_a_bad_go_duration_is_refused() -> None:
    with pytest.raises(RenderError, match="not a Go duration"):
        convert.parse_go_duration("soon")
