from __future__ import annotations

import pytest

from chaosrunner.core.cronjob import ScheduleSpec, cron_problem, cronjob_name, render_cronjob


def spec(kind: str = "GameDay", **kw: object) -> ScheduleSpec:
    base: dict[str, object] = {
        "file_name": "monthly.yaml",
        "name": "monthly",
        "kind": kind,
        "cron": "0 10 1 * *",
        "pvc": "results",
    }
    base.update(kw)
    return ScheduleSpec(**base)  # type: ignore[arg-type]


def test_a_game_day_runs_from_the_configmap_and_keeps_results_in_the_named_pvc() -> None:
    job = render_cronjob(spec(namespace="team"))
    assert job["metadata"] == {
        "name": "chaosrunner-monthly",
        "namespace": "team",
        "labels": {"app.kubernetes.io/name": "chaosrunner", "chaosrunner.io/experiment": "monthly"},
    }
    assert job["spec"]["schedule"] == "0 10 1 * *"
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    jspec = job["spec"]["jobTemplate"]["spec"]
    assert jspec["backoffLimit"] == 0
    pod = jspec["template"]["spec"]
    assert pod["serviceAccountName"] == "chaosrunner"
    (container,) = pod["containers"]
    assert container["args"][:3] == ["gameday", "run", "/experiments/monthly.yaml"]
    assert container["workingDir"] == "/results"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["results"]["persistentVolumeClaim"] == {"claimName": "results"}


def test_an_experiment_runs_in_the_cluster_environment_by_default() -> None:
    args = render_cronjob(spec("Experiment"))["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"
    ][0]["args"]
    assert args[:4] == ["run", "/experiments/monthly.yaml", "--env", "cluster"]


@pytest.mark.parametrize(
    ("cron", "ok"),
    [
        ("0 10 1 * *", True),
        ("@monthly", True),
        ("*/5 1-3 * * mon-fri", True),
        ("0 10 1 *", False),
        ("0 10 1 * * *", False),
        ("x 10 1 * *", False),
    ],
)
def test_cron_expressions_are_checked_before_printing(cron: str, ok: bool) -> None:
    assert (cron_problem(cron) == "") is ok


def test_names_fit_a_cronjob() -> None:
    name = cronjob_name("A_very_long_game_day_name_" * 4)
    assert len(name) <= 52 and name == name.lower() and not name.endswith("-")
