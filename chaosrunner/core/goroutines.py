"""Goroutine-profile evidence: which stack's goroutines grew between captures.

A leak shows in an SLI as a rising goroutine count; it is fixed in the code at one stack. Go's
``/debug/pprof/goroutine?debug=1`` already aggregates goroutines by stack, one entry per stack:

    goroutine profile: total 127
    120 @ 0x48b9ee 0x41aa6e 0x41a592 0x785036 0x493361
    #	0x785035	chaosrunner.dev/demo/leakhook.(*leak).spawn.func1+0x75	/src/leak.go:153

so captures at the end of the baseline, in the blast window and after recovery can be diffed
entry by entry, and the stacks that grew the most are where the leak lives.

Stacks are matched across captures by their symbolized frames (function, file and line), not
by program counters: two entries that differ only in pprof labels merge, and captures from two
builds of one source still match. Each stack is named by its top *user* frame: the first frame
outside Go's standard library (``runtime``, ``net/http``, ``internal/poll``, ...; a package
path whose first element has no dot), or the first frame of the caller's own code when its
module prefixes are given. A stack entirely in the standard library is named by its outermost
frame outside ``runtime``, the function its goroutines were started with
(``net/http.(*conn).serve``).

The service's own code is derived from the profile itself (:func:`own_prefixes`): ``main.`` and
every package outside the standard library whose source file is not in Go's module cache
(``/pkg/mod/``) or a ``vendor/`` folder. So a goroutine parked in a third-party client
(``github.com/redis/go-redis/...``) is named by the service's frame that called it, which is
where the fix goes; no declaration is needed. A capture that is missing (the endpoint failed)
stays in the diff as ``None`` counts, so the report states it instead of reading it as zero
goroutines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from chaosrunner.core.errors import EvidenceError

_HEADER = re.compile(r"^goroutine profile: total (\d+)$")
_ENTRY = re.compile(r"^(\d+) @( 0x[0-9a-f]+)*$")
_FRAME = re.compile(r"^#\s+0x[0-9a-f]+\s+(\S+?)(?:\+0x[0-9a-f]+)?\s+(\S.*):(\d+)$")


@dataclass(frozen=True)
class Frame:
    function: str
    file: str
    line: int

    @property
    def package(self) -> str:
        """The import path: ``net/http`` for ``net/http.(*conn).serve``, ``main`` for main."""
        slash = self.function.rfind("/")
        dot = self.function.find(".", slash + 1)
        return self.function if dot < 0 else self.function[:dot]

    @property
    def standard(self) -> bool:
        """Whether the frame is in Go's standard library (its path's first element has no dot)."""
        package = self.package
        return package != "main" and "." not in package.split("/", 1)[0]

    def __str__(self) -> str:
        return f"{self.function} ({self.file.rsplit('/', 1)[-1]}:{self.line})"


@dataclass(frozen=True)
class Stack:
    count: int
    frames: tuple[Frame, ...]

    @property
    def key(self) -> tuple[tuple[str, str, int], ...]:
        return tuple((f.function, f.file, f.line) for f in self.frames)


@dataclass(frozen=True)
class GoroutineProfile:
    total: int
    #: One entry per distinct stack (entries with the same frames merged), largest first.
    stacks: tuple[Stack, ...]


def parse_goroutine_profile(text: str) -> GoroutineProfile:
    """Read a ``debug=1`` goroutine profile; raises EvidenceError naming the bad line."""
    lines = text.splitlines()
    if not lines or not (header := _HEADER.match(lines[0].strip())):
        first = lines[0][:80] if lines else ""
        raise EvidenceError(
            f"line 1: {first!r} is not a goroutine profile; "
            "expected 'goroutine profile: total N' (the debug=1 format)"
        )
    merged: dict[tuple[tuple[str, str, int], ...], int] = {}
    order: list[tuple[tuple[str, str, int], ...]] = []
    count: int | None = None
    frames: list[Frame] = []

    def close() -> None:
        if count is None:
            return
        key = tuple((f.function, f.file, f.line) for f in frames)
        if key not in merged:
            merged[key] = 0
            order.append(key)
        merged[key] += count

    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line:
            continue
        if _ENTRY.match(line):
            close()
            count, frames = int(line.split(" ", 1)[0]), []
        elif line.startswith("# labels:"):
            continue
        elif (frame := _FRAME.match(line)) and count is not None:
            frames.append(Frame(frame.group(1), frame.group(2).strip(), int(frame.group(3))))
        else:
            raise EvidenceError(
                f"line {number}: {line[:80]!r} is not a stack entry or frame; expected "
                "'N @ 0x...' or '#\\t0xPC\\tfunction+0xOFF\\tfile:line'"
            )
    close()
    stacks = [Stack(merged[k], tuple(Frame(*f) for f in k)) for k in order]
    stacks.sort(key=lambda s: -s.count)
    return GoroutineProfile(int(header.group(1)), tuple(stacks))


def top_user_frame(frames: Sequence[Frame], own: Sequence[str] = ()) -> Frame | None:
    """The frame that names a stack: the first of the caller's own code (``own`` prefixes of
    function names), else the first outside the standard library, else the outermost frame
    (the function the goroutine was started with, e.g. ``net/http.(*conn).serve``)."""
    if own:
        for f in frames:
            if f.function.startswith(tuple(own)):
                return f
    for f in frames:
        if not f.standard:
            return f
    for f in reversed(frames):
        if f.package != "runtime":
            return f
    return frames[-1] if frames else None


def _third_party(frame: Frame) -> bool:
    path = frame.file.replace("\\", "/")
    return "/pkg/mod/" in path or "/vendor/" in path


def own_prefixes(profiles: Sequence[GoroutineProfile]) -> tuple[str, ...]:
    """The function-name prefixes of the service's own code in ``profiles``: ``main.`` and each
    package outside the standard library whose file is outside the module cache and vendor/."""
    own = {"main."}
    for profile in profiles:
        for stack in profile.stacks:
            for f in stack.frames:
                if not f.standard and not _third_party(f) and f.package != "main":
                    own.add(f.package + ".")
    return tuple(sorted(own))


@dataclass(frozen=True)
class Capture:
    """One capture, labelled (``baseline``, ``blast``, ``recovered``); profile None if it failed."""

    label: str
    profile: GoroutineProfile | None
    error: str = ""


@dataclass(frozen=True)
class StackGrowth:
    frames: tuple[Frame, ...]
    top: Frame | None
    #: Goroutines on this stack in each capture, in the captures' order; None: capture missing.
    counts: tuple[int | None, ...]
    #: The largest count in a later capture minus the count in the first available capture.
    growth: int


def diff_profiles(
    captures: Sequence[Capture], *, limit: int = 10, own: Sequence[str] = ()
) -> tuple[StackGrowth, ...]:
    """The stacks whose goroutine count grew the most from the first available capture.

    Only stacks that grew are listed, largest growth first (ties: by top frame name), at most
    ``limit``. With fewer than two available captures there is nothing to diff: empty.
    """
    available = [i for i, c in enumerate(captures) if c.profile is not None]
    if len(available) < 2:
        return ()
    tables: list[dict[tuple[tuple[str, str, int], ...], Stack] | None] = [
        None if c.profile is None else {s.key: s for s in c.profile.stacks} for c in captures
    ]
    keys: dict[tuple[tuple[str, str, int], ...], Stack] = {}
    for table in tables:
        for key, stack in (table or {}).items():
            keys.setdefault(key, stack)
    first = available[0]
    out = []
    for key, stack in keys.items():
        counts = tuple(
            None if table is None else (table[key].count if key in table else 0) for table in tables
        )
        start = counts[first] or 0
        later = [c for c in counts[first + 1 :] if c is not None]
        growth = max(later) - start if later else 0
        if growth > 0:
            out.append(StackGrowth(stack.frames, top_user_frame(stack.frames, own), counts, growth))
    out.sort(key=lambda g: (-g.growth, g.top.function if g.top else ""))
    return tuple(out[:limit])


@dataclass(frozen=True)
class TargetProfiles:
    """One target's captures, in journal order, and the stacks that grew between them."""

    target: str
    captures: tuple[Capture, ...]
    growth: tuple[StackGrowth, ...]
    #: The prefixes that named each stack's top frame (:func:`own_prefixes`).
    own: tuple[str, ...] = ()


def target_profiles(target: str, captures: Sequence[Capture], *, limit: int = 10) -> TargetProfiles:
    """``captures`` diffed with the service's own code derived from the profiles."""
    own = own_prefixes([c.profile for c in captures if c.profile is not None])
    return TargetProfiles(
        target, tuple(captures), diff_profiles(captures, limit=limit, own=own), own
    )
