"""The CLI's contract: exit codes, fast help, and the public surface."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import chaosrunner
from chaosrunner.cli import main
from chaosrunner.core import errors
from tests.support import BASE


def test_public_surface_is_what_the_package_exports_and_sorted() -> None:
    public = sorted(
        name
        for name, value in vars(chaosrunner).items()
        if (not name.startswith("_") or name == "__version__") and not inspect.ismodule(value)
    )
    assert chaosrunner.__all__ == sorted(chaosrunner.__all__) == public


def test_every_error_of_the_one_hierarchy_is_exported() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and value.__module__ == errors.__name__
    }
    assert {"ChaosRunnerError", "Problem", "NotFound", "Conflict"} <= defined
    assert defined <= set(chaosrunner.__all__)
    for name in defined:
        assert getattr(chaosrunner, name) is getattr(errors, name)


def test_help_imports_no_heavy_client() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from chaosrunner.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('kubernetes','prometheus_api_client','structlog','rich','jsonschema','yaml')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for line in ("0  PASSED", "1  FAILED", "2  ABORTED", "3  INCONCLUSIVE", "4  ERROR"):
        assert line in out


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["run"], id="missing-file"),
        pytest.param(["frobnicate"], id="unknown-command"),
        pytest.param(["run", "x.yaml", "--var", "novalue"], id="bad-var"),
        pytest.param(["cleanup"], id="cleanup-needs-scope"),
    ],
)
def test_usage_errors_exit_4_not_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 4  # 2 means ABORTED to CI gates; a usage error injected nothing
    assert "usage:" in capsys.readouterr().err


def test_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("blast: 5s", "blast: soon"))
    assert main(["validate", str(good)]) == 0
    assert f"{good}: valid" in capsys.readouterr().out
    assert main(["validate", str(good), str(bad)]) == 4
    out = capsys.readouterr().out
    assert f"{bad}:33:35: spec.schedule.blast: 'soon' is not valid" in out
    assert "1 problem(s) in 2 file(s)" in out


def test_run_of_an_invalid_file_exits_4_and_says_nothing_was_injected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("target: backend", "target: nowhere"))
    assert main(["run", str(bad), "--output-dir", str(tmp_path / "out")]) == 4
    err = capsys.readouterr().err
    assert "spec.faults[0].target: target 'nowhere' is not declared" in err
    assert "nothing was injected" in err
    assert not (tmp_path / "out").exists()


def test_schema_is_a_valid_json_schema_that_accepts_the_base(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import yaml

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(BASE))
    assert schema["properties"]["apiVersion"] == {"const": "chaosrunner.io/v1alpha1"}


def test_render_prints_objects_kubectl_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    root = Path(__file__).resolve().parents[3]
    assert (
        main(
            [
                "render",
                str(root / "experiments/redis-timeout.yaml"),
                "--env",
                "cluster",
                "--run-id",
                "r-1",
            ]
        )
        == 0
    )
    docs = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    assert [d["kind"] for d in docs] == ["NetworkChaos"]
    labels = docs[0]["metadata"]["labels"]
    assert (
        labels["chaosrunner.io/run-id"] == "r-1"
        and labels["chaosrunner.io/experiment"] == "redis-timeout"
    )
    assert docs[0]["spec"]["duration"] == "1m"  # the 30 s blast window plus the 30 s margin


def test_render_refuses_a_local_environment(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[3]
    assert main(["render", str(root / "experiments/redis-timeout.yaml")]) == 4
    assert "render needs a chaos-mesh environment" in capsys.readouterr().err


def test_the_error_exit_code_is_defined_once_in_the_verdict() -> None:
    import chaosrunner.cli
    from chaosrunner.cli import commands
    from chaosrunner.core.verdict import EXIT_ERROR, Verdict

    assert Verdict.ERROR.exit_code == EXIT_ERROR == 4
    for module in (chaosrunner.cli, commands):  # small ints are shared: read the source
        assert module.EXIT_ERROR == EXIT_ERROR
        assert "EXIT_ERROR =" not in Path(str(module.__file__)).read_text()
