"""What the structured fuzzer (tests/fuzz) found: each crashed before, each is located now."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from chaosrunner.cli import main
from chaosrunner.core import validate

ROOT = Path(__file__).resolve().parents[3]
REDIS_TIMEOUT = (ROOT / "experiments" / "redis-timeout.yaml").read_text()


def problems(text: str, env: str | None = None) -> list[str]:
    return [str(p) for p in validate.check(text, "exp.yaml", env=env, environ={})]


def edit(old: str, new: str) -> str:
    assert REDIS_TIMEOUT.count(old) == 1, old
    return REDIS_TIMEOUT.replace(old, new)


FAULTS = """  faults:
    - name: redis-latency
      type: network-delay
      target: redis
      params: {latency: "${latency}", jitter: 10ms}
"""
GUARDRAILS = REDIS_TIMEOUT[REDIS_TIMEOUT.index("  guardrails:") : REDIS_TIMEOUT.index(FAULTS)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            FAULTS,
            "  faults: 3\n",
            "exp.yaml:67:11: spec.faults: expected a list, got an integer 3",
            id="faults-an-integer",
        ),
        pytest.param(
            FAULTS,
            "  faults: 1.5\n",
            "exp.yaml:67:11: spec.faults: expected a list, got a number 1.5",
            id="faults-a-number",
        ),
        pytest.param(
            GUARDRAILS,
            "  guardrails: 7\n",
            "exp.yaml:60:15: spec.guardrails: expected a list, got an integer 7",
            id="guardrails-an-integer",
        ),
        pytest.param(
            '      params: {latency: "${latency}", jitter: 10ms}\n',
            "",
            "exp.yaml:68:7: spec.faults[0]: missing required key 'params'",
            id="required-params-missing",
        ),
    ],
)
def test_ill_shaped_sections_are_located_not_a_crash(old: str, new: str, expected: str) -> None:
    assert expected in problems(edit(old, new))


def test_a_raw_manifest_kind_that_is_a_mapping_is_located() -> None:
    text = edit(
        FAULTS,
        "  faults:\n    - name: raw\n      type: raw-manifest\n      target: redis\n"
        "      params:\n        manifest:\n          apiVersion: chaos-mesh.org/v1alpha1\n"
        "          kind: {a: 1}\n          spec: {action: pod-failure}\n",
    )
    found = problems(text, env="cluster")
    assert any(p.startswith("exp.yaml:74:17: spec.faults[0].params.manifest.kind: ") for p in found)


def test_render_refuses_a_fault_without_its_required_params(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(edit('      params: {latency: "${latency}", jitter: 10ms}\n', ""))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["render", str(path), "--env", "cluster"])
    assert code == 4
    assert f"{path}:68:7: spec.faults[0]: missing required key 'params'" in err.getvalue()
    assert "internal error" not in err.getvalue()
