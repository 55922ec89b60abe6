"""A ``--var`` the file neither declares nor uses is an error, not an override that never happens.

The command line has no position in the file, so the problem stands at ``spec.variables`` (the
key's line and column), or at ``spec`` when the file declares no variables, in the usual
``FILE:LINE:COLUMN: field.path: what; expected`` form, and suggests the closest declared name.
A name the file uses as ``${name}`` without declaring it is known: the unresolved-variable
message itself tells the user to pass it with ``--var``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chaosrunner.cli import main
from chaosrunner.core import validate
from chaosrunner.core.errors import ExperimentError
from tests.support import BASE

DECLARED = BASE.replace(
    "spec:\n",
    "spec:\n  variables:\n    latency: {default: 500ms}\n    rps: {default: '5'}\n",
    1,
).replace("owner: sre", "owner: '${latency} ${rps}'")


def problems(text: str, **cli_vars: str) -> list[str]:
    found = validate.check(textwrap.dedent(text), "exp.yaml", cli_vars=cli_vars, environ={})
    return [str(p) for p in found]


def test_a_misspelt_var_is_an_error_with_a_suggestion_at_spec_variables() -> None:
    assert problems(DECLARED, latncy="800ms") == [
        "exp.yaml:8:3: spec.variables: --var latncy: the file declares no variable 'latncy' "
        "and uses none, so it would be ignored; did you mean 'latency'? expected one of: "
        "latency, rps"
    ]


def test_declared_and_used_vars_are_accepted() -> None:
    assert problems(DECLARED, latency="800ms", rps="7") == []
    exp = validate.load(DECLARED, "exp.yaml", cli_vars={"latency": "800ms"}, environ={})
    assert exp.metadata.owner == "800ms 5"


def test_a_var_the_file_uses_without_declaring_is_known() -> None:
    text = BASE.replace("owner: sre", "owner: '${team}'")
    assert problems(text, team="sre") == []


def test_without_declared_variables_the_problem_stands_at_spec() -> None:
    found = problems(BASE, latency="1s")
    assert found == [
        "exp.yaml:7:1: spec.variables: --var latency: the file declares no variable 'latency' "
        "and uses none, so it would be ignored; expected no --var"
    ]


def test_load_raises_for_run_and_render_too() -> None:
    with pytest.raises(ExperimentError, match=r"did you mean 'rps'\?"):
        validate.load(DECLARED, "exp.yaml", env="lab", cli_vars={"rpz": "9"}, environ={})


@pytest.mark.parametrize("command", ["validate", "render", "run"])
def test_every_command_refuses_it_with_exit_4(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(DECLARED)
    args = {"validate": [], "render": ["--env", "lab"], "run": ["--dry-run"]}[command]
    code = main([command, str(path), *args, "--var", "latncy=800ms"])
    out = capsys.readouterr()
    assert code == 4
    assert f"{path}:8:3: spec.variables: --var latncy:" in out.out + out.err
    assert "did you mean 'latency'?" in out.out + out.err
