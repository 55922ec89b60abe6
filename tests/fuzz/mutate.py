"""Seeded mutants of the shipped experiments: structural edits of the parsed document, and bytes.

Mutant ``i`` of seed ``s`` depends on nothing but ``(s, i)`` and the corpus, so a failure is
reproduced by its seed and index alone (``CHAOSRUNNER_FUZZ_SEED``, ``CHAOSRUNNER_FUZZ_ONLY``).
Structural mutations work on the parsed YAML (drop, duplicate, rename and swap keys; odd
values of every type; wrong nesting; shared subtrees, which the dumper writes as anchors and
aliases; ``${...}`` references) and the result is dumped back to YAML. Byte mutations then work
on the text (cut, insert, duplicate and swap lines, control and invalid UTF-8 bytes, Unicode
digits) the way a broken editor or a bad merge would.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    [*(ROOT / "experiments").glob("*.yaml"), *(ROOT / "tests").glob("*/experiments/*.yaml")]
)

ODD_STRINGS = [
    "", " ", "\n", "\t", "30s\n", " 30s ", " 99.5% ", "99.5%\n", "٣٠s", "３０s", "30", "0s", "0",
    "-1s", "0ms", "0.0001ms", "1e400s", "99999999999999999999999h", "2562048h", "1000%", "100.5%",
    "0%", "-5%", ">= 1e999", "<= -1", ">=", "== nan", "<= 200 ms", "99,5%", "1m30", "1h1h1h",
    "${undeclared}", "${}", "${", "$${x}", "${LAB_PROMETHEUS_URL}", "${a b}", "x${nope}y",
    "null", "~", "true", "yes", "no", "on", "2024-01-01", "0x1F", "1_000", "1:30", ".inf",
    "a\nb", "\r", "\u202e", "\u200b", "é", "😀", "<<", "*", "&a", "!!python/object", "-", "?",
    "[", "{", "#", "%", "'", '"', "\\", "A" * 300, "a" * 64, "a" * 63, "Bad_Name", "kube-system",
    "http://127.0.0.1:1", "http://", "not a url", "/", "../../etc", "%2F..%2F",
    "sum(rate(x[5s]))", "sum(", "{{", "x" * 70_000,
]  # fmt: skip
ODD_NUMBERS: list[Any] = [
    0, -1, 1, 2, 65535, 65536, 2**31, 2**63 - 1, 2**63, -(2**63), 10**30, 0.5, -0.0, 1e308,
    float("inf"), float("-inf"), float("nan"), 1e-300, 100, 1000, 10**4000,
]  # fmt: skip
ODD_OTHER: list[Any] = [None, True, False, [], {}, [None], {"x": 1}, [[[[1]]]], {"": ""}]
ODD_KEYS: list[Any] = ["", "unknownKey", "a\nb", " name", "name ", "NAME", "<<", 1, None, True]
UNDECLARED = ["${nope}", "${NOPE_1}", "${LAB_PROMETHEUS_URLL}", "${x}${y}"]
BYTES = [
    b"\x00", b"\x01", b"\x7f", b"\xff", b"\xc3", b"\xe2\x80\xae", b"\t", b"\r", b"\r\n", b"\n",
    b" ", b":", b": ", b"- ", b"[", b"]", b"{", b"}", b"&a ", b"*a", b"!!", b"!foo ", b"<<: ",
    b"'", b'"', b"%", b"#", b"|", b">", b"? ", b"---\n", b"...\n", b"${", b"\xd9\xa3",
    b"\xef\xbb\xbf", b"9" * 5000, b"[" * 200,
]  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    index: int
    source: Path
    steps: tuple[str, ...]
    data: bytes
    cli_vars: tuple[str, ...] = ()  # ``--var NAME=VALUE`` arguments

    def argv(self, command: str, path: Path, *extra: str) -> list[str]:
        return [command, str(path), *extra, *(a for v in self.cli_vars for a in ("--var", v))]

    def describe(self) -> str:
        return f"mutant {self.index} of {self.source.relative_to(ROOT)}: {'; '.join(self.steps)}"


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every mapping and list in ``node`` with its path (depth-first, stable order)."""
    out: list[tuple[tuple[Any, ...], Any]] = []
    stack = [(path, node)]
    seen: set[int] = set()  # a shared or recursive subtree is visited once
    while stack:
        p, n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, dict):
            out.append((p, n))
            stack.extend(((*p, k), v) for k, v in reversed(list(n.items())))
        elif isinstance(n, list):
            out.append((p, n))
            stack.extend(((*p, i), v) for i, v in reversed(list(enumerate(n))))
    return out


# Values of the right type at the edges of their ranges: these get past the schema and reach
# the semantic checks, the planner and the renderers.
PLAUSIBLE: dict[str, list[Any]] = {
    "duration": ["0s", "0ms", "1ms", "0.5ms", "0.0001s", "1.5s", "59m60s", "2562047h",
                 "2562048h", "9999999999h", "99999999999999999999999999999s", "1h1h", "3s"],
    "percent": ["0%", "100%", "100.5%", "0.0001%", "99999%", "50%", "1.5%"],
    "objective": ["<= 0", ">= 100%", "== 0", "!= 0", "< -1", "> 1e308", ">= 1e-300", "<= 0ms"],
    "int": [0, 1, -1, 2, 65535, 65536, 2**31, 2**53 + 1, 2**63 - 1, 10**18],
    "name": ["a" * 63, "a" * 64, "a-", "-a", "A", "a.b", "a_b", "0", "kube-system", "default"],
}  # fmt: skip
_SHAPES = {
    "duration": re.compile(r"^([0-9.]+(ms|s|m|h))+$"),
    "percent": re.compile(r"^[0-9.]+%$"),
    "objective": re.compile(r"^[<>=!]"),
    "name": re.compile(r"^[a-z0-9-]+$"),
}


def _plausible(rng: random.Random, old: Any) -> Any:
    if isinstance(old, bool):
        return not old
    if isinstance(old, int | float):
        return rng.choice(PLAUSIBLE["int"])
    if isinstance(old, str):
        for shape, pattern in _SHAPES.items():
            if pattern.match(old):
                return rng.choice(PLAUSIBLE[shape])
    return _odd_value(rng, old)


def _odd_value(rng: random.Random, old: Any) -> Any:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(ODD_STRINGS)
    if roll < 0.7:
        return rng.choice(ODD_NUMBERS)
    if roll < 0.8:
        return copy.deepcopy(rng.choice(ODD_OTHER))
    if roll < 0.9 and isinstance(old, str):
        return rng.choice(UNDECLARED) if rng.random() < 0.5 else old + rng.choice(UNDECLARED)
    if isinstance(old, str) and old:
        cut = rng.randrange(len(old))
        return old[:cut] + rng.choice(["\n", " ", "٣", "x", "", "\t"]) + old[cut + 1 :]
    return [old] if rng.random() < 0.5 else {"value": old}


def _pick_slot(rng: random.Random, doc: Any) -> tuple[Any, Any] | None:
    """A (container, key-or-index) holding some value."""
    slots = [
        (c, k) for _, c in _containers(doc) for k in (c if isinstance(c, dict) else range(len(c)))
    ]
    return rng.choice(slots) if slots else None


def _structural(rng: random.Random, doc: Any) -> str:
    slot = _pick_slot(rng, doc)
    if slot is None:
        return "nothing to mutate"
    container, key = slot
    old = container[key]
    action = rng.choice(
        ["drop", "odd", "odd", "plausible", "plausible", "plausible", "plausible", "nest", "unnest", "share", "rename", "unknown", "dup-item",
         "empty", "swap", "bomb", "deep", "string-var"]
    )  # fmt: skip
    if action == "drop":
        del container[key]
    elif action == "odd":
        container[key] = _odd_value(rng, old)
    elif action == "plausible":
        container[key] = _plausible(rng, old)
    elif action == "nest":
        container[key] = rng.choice([[old], {"nested": old}, [[old]]])
    elif action == "unnest" and isinstance(old, dict) and old:
        container[key] = list(old.values()) if rng.random() < 0.5 else next(iter(old.values()))
    elif action == "unnest" and isinstance(old, list) and old:
        container[key] = old[0]
    elif action == "share":
        other = _pick_slot(rng, doc)
        if other is not None:
            container[key] = other[0][other[1]]  # the same object twice: an anchor and an alias
    elif action == "rename" and isinstance(container, dict):
        new = (
            rng.choice(ODD_KEYS) if rng.random() < 0.5 else f"{key}x" if isinstance(key, str) else 0
        )
        container[new] = container.pop(key)
    elif action == "unknown" and isinstance(old, dict):
        old[rng.choice(ODD_KEYS)] = _odd_value(rng, None)
    elif action == "dup-item" and isinstance(old, list) and old:
        old.append(copy.deepcopy(rng.choice(old)))
    elif action == "empty":
        container[key] = type(old)() if isinstance(old, dict | list | str) else None
    elif action == "swap":
        other = _pick_slot(rng, doc)
        if other is not None and other[0] is not container:
            container[key], other[0][other[1]] = other[0][other[1]], old
    elif action == "bomb":
        laughs: Any = ["lol"] * 10
        for _ in range(rng.randrange(3, 9)):
            laughs = [laughs] * 10
        container[key] = laughs
    elif action == "deep":
        deep: Any = old
        for _ in range(rng.randrange(20, 80)):
            deep = [deep] if rng.random() < 0.5 else {"d": deep}
        container[key] = deep
    elif action == "string-var" and isinstance(old, str):
        container[key] = "${" + rng.choice(["nope", "x y", "", "LAB_DEMO_URL"]) + "}"
    else:
        container[key] = _odd_value(rng, old)
        action = "odd"
    return f"{action} at {key!r}"


def _dump(doc: Any, rng: random.Random) -> bytes:
    try:
        text = yaml.safe_dump(
            doc,
            sort_keys=False,
            allow_unicode=rng.random() < 0.5,
            default_flow_style=rng.choice([False, None, True]),
            width=rng.choice([80, 10_000]),
        )
    except (yaml.YAMLError, RecursionError, ValueError):
        return b"{}\n"
    return text.encode("utf-8", "surrogatepass")


def _bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = data.splitlines(keepends=True) or [b""]
    action = rng.choice(
        ["insert", "insert", "delete", "truncate", "dup-line", "swap-lines", "indent", "digit",
         "replace"]
    )  # fmt: skip
    at = rng.randrange(len(data) + 1)
    if action == "insert":
        piece = rng.choice(BYTES)
        return data[:at] + piece + data[at:], f"insert {piece[:12]!r} at byte {at}"
    if action == "delete":
        n = rng.randrange(1, 20)
        return data[:at] + data[at + n :], f"delete {n} bytes at {at}"
    if action == "truncate":
        return data[:at], f"truncate at byte {at}"
    i = rng.randrange(len(lines))
    if action == "dup-line":
        lines.insert(i, lines[i])
        return b"".join(lines), f"duplicate line {i + 1}"
    if action == "swap-lines":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return b"".join(lines), f"swap lines {i + 1} and {j + 1}"
    if action == "indent":
        lines[i] = rng.choice([b" ", b"  ", b"\t", b""]) + lines[i].lstrip(b" ")
        return b"".join(lines), f"re-indent line {i + 1}"
    if action == "digit":
        digits = [k for k, c in enumerate(data) if 48 <= c <= 57]
        if digits:
            k = rng.choice(digits)
            new = rng.choice([b"0", b"9", b"\xd9\xa3", b"\xef\xbc\x93", b"99999999999999999999"])
            return data[:k] + new + data[k + 1 :], f"digit at byte {k} -> {new!r}"
    byte = bytes([rng.randrange(256)])
    return data[:at] + byte + data[at + 1 :], f"replace byte {at} with {byte!r}"


_PARSED: dict[Path, Any] = {}


def _parsed(path: Path) -> Any:
    if path not in _PARSED:
        _PARSED[path] = yaml.safe_load(path.read_text())
    return copy.deepcopy(_PARSED[path])


def mutant(seed: int, index: int) -> Mutant:
    rng = random.Random(f"{seed}:{index}")
    source = rng.choice(CORPUS)
    steps: list[str] = []
    kind = rng.random()
    if kind < 0.65:  # structural, then maybe a byte or two
        doc = _parsed(source)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            steps.append(_structural(rng, doc))
        data = _dump(doc, rng)
        if rng.random() < 0.15:
            data, step = _bytes(rng, data)
            steps.append(step)
    else:  # bytes of the file as written (comments, flow style, quoting kept)
        data = source.read_bytes()
        for _ in range(rng.choice([1, 1, 2, 3])):
            data, step = _bytes(rng, data)
            steps.append(step)
    cli_vars: list[str] = []
    declared = list((_parsed(source).get("spec") or {}).get("variables") or {})
    if declared and rng.random() < 0.2:
        name = rng.choice(declared)
        pool = [v for v in ODD_STRINGS if len(v) < 1000] + [
            str(v) for values in PLAUSIBLE.values() for v in values
        ]
        cli_vars.append(f"{name}={rng.choice(pool)}")
        steps.append(f"--var {cli_vars[-1][:60]!r}")
    return Mutant(index, source, tuple(steps), data, tuple(cli_vars))


Check = Callable[[Mutant], None]
