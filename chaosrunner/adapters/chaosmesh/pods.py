"""Which pods a fault selects, and listing them: shared by preflight, the leak and the driver.

A :class:`Selection` is Chaos Mesh's selector (namespaces, label and field selectors) with its
mode and value, read from a rendered object or from a pods binding. Preflight counts what it
matches and what the mode may hit (the blast radius); the goroutine leak, which Chaos Mesh does
not select for us, picks the pods it calls. Pods are listed per (namespace, selector), in
pages, as raw JSON: 2,000 pods take well under a second to count (``make bench``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chaosrunner.adapters.kube.api import Kube

PAGE = 500


@dataclass(frozen=True)
class Selection:
    """Which pods one fault (or one side of a network fault) may hit, and how many."""

    fault: str
    role: str
    namespaces: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]
    fields: tuple[tuple[str, str], ...]
    mode: str
    value: str = ""

    @classmethod
    def of(cls, fault: str, role: str, spec: Mapping[str, Any], default_ns: str) -> Selection:
        selector = spec.get("selector") or {}
        return cls(
            fault,
            role,
            tuple(selector.get("namespaces") or [default_ns]),
            tuple(sorted((selector.get("labelSelectors") or {}).items())),
            tuple(sorted((selector.get("fieldSelectors") or {}).items())),
            str(spec.get("mode", "one")),
            str(spec.get("value", "")),
        )

    @property
    def label_selector(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.labels)

    @property
    def field_selector(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.fields)

    @property
    def text(self) -> str:
        labels = self.label_selector or "any labels"
        fields = "".join(f", {k}={v}" for k, v in self.fields)
        return f"{labels}{fields} in {','.join(self.namespaces)}"

    def affected(self, running: int) -> int:
        """The most pods this selection may hit among ``running`` candidates."""
        number = int(self.value) if self.value.isdigit() else 0
        match self.mode:
            case "one":
                return min(1, running)
            case "fixed":
                return min(number, running)
            case "fixed-percent" | "random-max-percent":
                # Chaos Mesh rounds up (selector/generic/mode.go): 67% of 3 pods is 3, not 2.
                return min(running, math.ceil(running * number / 100))
            case _:
                return running


def selections_of(fault: str, obj: Mapping[str, Any]) -> list[Selection]:
    """The selections of a rendered Chaos Mesh object: its target, and a network peer if any."""
    spec = obj.get("spec", {})
    ns = str(obj.get("metadata", {}).get("namespace", ""))
    out = [Selection.of(fault, "target", spec, ns)] if "selector" in spec else []
    target = spec.get("target")
    if isinstance(target, Mapping) and "selector" in target:
        out.append(Selection.of(fault, "network peer", target, ns))
    return out


def running(pod: Mapping[str, Any]) -> bool:
    """Running and not on its way out: a pod a fault can really hit."""
    deleting = pod.get("metadata", {}).get("deletionTimestamp")
    return pod.get("status", {}).get("phase") == "Running" and not deleting


def list_pods(kube: Kube, namespace: str, labels: str, fields: str) -> Iterator[dict[str, Any]]:
    """Every matching pod as raw JSON, a page at a time."""
    token = ""
    while True:
        page = kube.json(
            f"list pods in {namespace}",
            kube.core.list_namespaced_pod,
            namespace,
            label_selector=labels,
            field_selector=fields,
            limit=PAGE,
            _continue=token or None,
        )
        yield from page.get("items", [])
        token = page.get("metadata", {}).get("continue", "")
        if not token:
            return


def count_pods(kube: Kube, namespace: str, labels: str, fields: str) -> tuple[int, int]:
    """(matching pods, of which Running)."""
    total = hits = 0
    for pod in list_pods(kube, namespace, labels, fields):
        total += 1
        hits += running(pod)
    return total, hits


def select_pods(kube: Kube, sel: Selection) -> list[tuple[str, str]]:
    """The (namespace, pod) pairs this selection hits: Running pods, by name, as many as the
    mode allows (chaosrunner picks deterministically where Chaos Mesh would pick at random)."""
    found = sorted(
        (ns, str(pod["metadata"]["name"]))
        for ns in sel.namespaces
        for pod in list_pods(kube, ns, sel.label_selector, sel.field_selector)
        if running(pod)
    )
    return found[: sel.affected(len(found))]
