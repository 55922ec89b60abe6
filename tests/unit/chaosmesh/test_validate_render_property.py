"""Property: whatever ``validate`` accepts renders, for every chaos-mesh environment it declares.

Seeded mutants of the shipped experiments: each fault becomes a random kind with parameters
drawn from its own schema, filled with values chosen to sit on the edges (0, 100 %, 101 %,
Go's longest duration and past it, non-ASCII digits, names Kubernetes refuses), and the
cluster binding's selection is mutated too. For every mutant ``validate`` either reports
problems, each with a position, or accepts it; an accepted mutant must render for each
chaos-mesh environment, and every object must pass its CRD's schema, the metadata rules and
the admission-webhook rules we rely on. (A broad fuzzer of the whole format lives elsewhere;
this one aims at the parameters and selections the renderer converts.)
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaosrunner.adapters.chaosmesh import NOT_OBJECTS, render
from chaosrunner.core import validate
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import DriverKind
from chaosrunner.core.plan import make_plan
from tests.unit.chaosmesh import crd
from tests.unit.chaosmesh.builders import RUN_ID

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))
MUTANTS_PER_FILE = 80
POSITIONED = re.compile(r"^[^:]+:[0-9]+:[0-9]+: .+")

#: (good values, edge values): a mutant mostly takes good ones, so that enough are valid.
DURATIONS = (
    ["1ms", "1.5ms", "0.25ms", "30s", "1m30s", "1h30m", "0.0000001s"],
    ["0ms", "2562047h", "2562047h47m16s", "2562048h", "3000000h", "٣٠s", "３0s", "10s\n"],
)
PERCENTS = (
    ["1%", "25%", "100%", "100.0%", "10.0%", "0.5%", "0.0000001%"],
    ["0%", "101%", "150%", "1000%", "50.5%", "٣%", "５0%", "25%\n"],
)
RATES = (
    ["1bps", "100kbps", "1.5mbps", "1gbps"],
    ["0bps", "1.5bps", "0.001kbps", "١mbps", "1mbps\n"],
)
SIZES = (
    ["4KiB", "256MB", "1GiB", "0.5GB", "50%", "100%"],
    ["0B", "1B", "0.5%", "150%", "0%", "256MB\n"],
)
NAMES = (["main", "app-2", "x" * 63, "a.b"], ["Main App", "UPPER", "a_b", "x" * 64, ""])
INTS = ([1, 5, 100, 599, 65535, 2**31 - 1], [-1, 0, 101, 2**31, 2**40, 2**63, 10**30])
NAMESPACES = (["demo", "db"], ["Demo", "bad ns", "a" * 64, "a.b", "-x"])
LABEL_KEYS = (
    ["app", "app.kubernetes.io/name", "example.com/" + "y" * 63],
    ["a/b/c", "Bad Key", "x" * 64],
)
LABEL_VALUES = (["redis", "", "x" * 63, "v1.2"], ["x" * 64, "a b", "-a"])
MODE_VALUES: tuple[list[Any], list[Any]] = (
    [1, 3, 50, 100, "50", "50%"],
    [0, 101, "0", "²", "٣", "1.5", True],
)


def pick(rng: random.Random, pool: tuple[list[Any], list[Any]]) -> Any:
    return rng.choice(pool[0] if rng.random() < 0.8 else pool[1])


def _string(rng: random.Random, schema: Mapping[str, Any]) -> Any:
    pattern = str(schema.get("pattern", ""))
    if "bps" in pattern:
        return pick(rng, RATES)
    if "KiB" in pattern:
        return pick(rng, SIZES)
    if "%" in pattern:
        return pick(rng, PERCENTS)
    if "ms|s|m|h" in pattern:
        sign = "-" if pattern.startswith("^-?") and rng.random() < 0.3 else ""
        return sign + pick(rng, DURATIONS)
    if pattern == "^/":
        return rng.choice(["/data", "/data", "data", "/var/lib/x"])
    if "0[0-7]" in pattern:
        return rng.choice(["0644", "0644", "0999", "07777", "0"])
    return pick(rng, NAMES)


def _value(rng: random.Random, schema: Mapping[str, Any], depth: int = 0) -> Any:
    if "enum" in schema:
        return rng.choice(list(schema["enum"]))
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = rng.choice(kind)
    if kind == "integer":
        bounds = [schema.get("minimum"), schema.get("maximum")]
        edges = [b + d for b in bounds if isinstance(b, int) for d in (-1, 0, 1)]
        return rng.choice(INTS[0] + edges) if rng.random() < 0.8 else rng.choice(INTS[1])
    if kind == "string":
        return _string(rng, schema)
    if kind == "array":
        items = schema.get("items", {})
        return [_value(rng, items, depth + 1) for _ in range(rng.randint(1, 3))]
    if kind == "object" and depth < 3:
        props = schema.get("properties")
        if isinstance(props, Mapping) and props:
            return _object(rng, props, schema.get("required", []), depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            return {pick(rng, LABEL_KEYS): _value(rng, extra, depth + 1)}
        return {"a": "b"}
    return pick(rng, NAMES)


def _object(
    rng: random.Random, props: Mapping[str, Any], required: list[str], depth: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, sub in props.items():
        if key in required or rng.random() < 0.4:
            if key in ("namespace", "namespaces") and depth:
                out[key] = pick(rng, NAMESPACES) if key == "namespace" else [pick(rng, NAMESPACES)]
            elif key == "labelSelector":
                out[key] = {pick(rng, LABEL_KEYS): pick(rng, LABEL_VALUES)}
            elif key == "value":
                out[key] = pick(rng, MODE_VALUES)
            else:
                out[key] = _value(rng, sub, depth)
    return out


def _manifest(rng: random.Random) -> dict[str, Any]:
    spec: dict[str, Any] = rng.choice(
        [{"action": "pod-failure"}, {"action": "pod-kill"}, {"stressors": {"cpu": {"workers": 1, "load": 50}}}]
    )  # fmt: skip
    kind = "StressChaos" if "stressors" in spec else "PodChaos"
    if rng.random() < 0.5:
        spec = {**spec, "duration": rng.choice(["10s", "1m", "10m", "3000000h", "90s", "1h"])}
    meta = rng.choice([{}, {"labels": {pick(rng, LABEL_KEYS): pick(rng, LABEL_VALUES)}},
                       {"labels": "team"}, {"annotations": {"a": 1}}, {"name": pick(rng, NAMES)}])  # fmt: skip
    return {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": kind, "metadata": meta, "spec": spec}


def _mutant(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Cluster environments only (the kinds drawn are cluster kinds), every fault redrawn."""
    spec = doc["spec"]
    spec["environments"] = {
        n: e for n, e in spec["environments"].items() if e.get("driver") == "chaos-mesh"
    }
    spec["defaultEnv"] = next(iter(spec["environments"]))
    for target in spec["targets"].values():
        target["bindings"] = {
            n: b for n, b in target["bindings"].items() if n in spec["environments"]
        }
    cluster_kinds = sorted(n for n, k in REGISTRY.items() if k.supports(DriverKind.CHAOS_MESH))
    for fault in spec["faults"]:
        name = rng.choice(cluster_kinds)
        kind = REGISTRY[name]
        fault["type"] = name
        if name == "raw-manifest":
            fault["params"] = {"manifest": _manifest(rng)}
        else:
            props = kind.params.get("properties", {})
            fault["params"] = _object(rng, props, list(kind.params.get("required", [])), 0)
        fault.pop("duration", None)
        fault.pop("after", None)
    for env, env_doc in spec["environments"].items():
        if env_doc.get("driver") != "chaos-mesh":
            continue
        for target in spec["targets"].values():
            binding = target["bindings"].get(env)
            if not isinstance(binding, dict):
                continue
            binding.setdefault("hook", {"port": 8080})
            pods = binding.setdefault("pods", {"namespace": "demo"})
            if rng.random() < 0.5:
                pods.update(_object(rng, {"namespace": {}, "labelSelector": {}}, [], 1))
            if rng.random() < 0.5:
                pods["mode"] = rng.choice(
                    ["one", "all", "fixed", "fixed-percent", "random-max-percent"]
                )
                pods["value"] = pick(rng, MODE_VALUES)
    if rng.random() < 0.3:
        spec["schedule"]["expiryMargin"] = pick(rng, DURATIONS)
    return doc


def _cluster_envs(doc: Mapping[str, Any]) -> list[str]:
    return [n for n, e in doc["spec"]["environments"].items() if e.get("driver") == "chaos-mesh"]


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_validate_accepts_only_what_renders(path: Path) -> None:
    rng = random.Random(f"b2-{path.stem}")
    original = yaml.safe_load(path.read_text())
    accepted = 0
    for i in range(MUTANTS_PER_FILE):
        doc = _mutant(yaml.safe_load(path.read_text()), rng)
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        found = validate.check(text, "mutant.yaml", environ={})
        assert all(POSITIONED.match(str(p)) for p in found), (i, [str(p) for p in found])
        if found:
            continue
        accepted += 1
        for env in _cluster_envs(doc):
            plan = make_plan(validate.load(text, "mutant.yaml", env=env, environ={}))
            for pf in plan.faults:
                if pf.kind.name in NOT_OBJECTS:
                    continue
                binding = plan.experiment.binding(pf.fault.target)
                obj = render(pf, binding, run_id=RUN_ID, experiment=plan.experiment.metadata.name)
                broken = crd.errors(obj) + crd.webhook_problems(obj)
                assert broken == [], (i, env, text, broken)
    assert _cluster_envs(original)
    assert accepted >= MUTANTS_PER_FILE // 10, f"only {accepted} mutants were valid: weak test"
