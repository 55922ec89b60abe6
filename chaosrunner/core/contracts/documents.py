"""Contract files: multi-document YAML, loaded document by document with exact positions.

SLO files hold several documents (an OpenSLO ``DataSource``, its ``SLI`` and ``SLO`` objects,
separated by ``---``), but the experiment loader (``core/source.py``) takes exactly one and keeps
every bound on hostile input. So a file is cut at its document starts, found from the parser's
events (no value is built on this pass), and each piece is given to that same loader, padded
with the blank lines it had before it: every problem keeps the line and column of the whole
file. A piece holding only comments or blank lines (a trailing ``---``) is no document.

:class:`Fields` reads a loaded document defensively: a missing or wrongly typed field is a
Problem at its place, worded ``what is wrong; what was expected``, never a silent default.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from chaosrunner.core.errors import Problem
from chaosrunner.core.source import Document, Path, load_document

#: More documents than this in one file is not an SLO file anyone keeps by hand (and each may
#: expand aliases up to the loader's own bound, so their number bounds the work too).
MAX_DOCUMENTS = 100
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_BLANK = re.compile(r"(?:\s|#[^\n]*)*")
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=\s|$)", re.MULTILINE)
_PARSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _document_lines(text: str) -> list[int]:
    """0-based line of each document's start. Malformed YAML stops the scan: the piece it
    is in then goes to the loader, which reports it at its place."""
    starts: list[int] = []
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            if isinstance(event, yaml.DocumentStartEvent) and event.start_mark is not None:
                starts.append(event.start_mark.line)
                if len(starts) > MAX_DOCUMENTS:
                    break
    except yaml.YAMLError:
        pass
    return starts or [0]


def _is_blank(text: str) -> bool:
    """Only comments, blank lines and document markers: no document at all."""
    return _BLANK.fullmatch(_MARKER.sub("", text)) is not None


def load_documents(text: str, file: str) -> tuple[list[Document], list[Problem]]:
    """Every non-empty document of ``text`` and what was wrong with any of them."""
    starts = _document_lines(text)
    if len(starts) <= 1:
        if _is_blank(text):
            return [], []
        doc = load_document(text, file)
        return ([doc], []) if not doc.problems else ([], doc.problems)
    if len(starts) > MAX_DOCUMENTS:
        message = f"more than {MAX_DOCUMENTS} documents; expected an SLO file, which is far smaller"
        return [], [Problem(file, 1, 1, "", message)]
    lines = _BREAK.split(text)
    docs: list[Document] = []
    problems: list[Problem] = []
    bounds = [*starts, len(lines)]
    for first, end in itertools.pairwise(bounds):
        piece = "\n".join(lines[first:end])
        if _is_blank(piece):
            continue
        doc = load_document("\n" * first + piece, file)
        if doc.problems:
            problems.extend(doc.problems)
        else:
            docs.append(doc)
    return docs, problems


@dataclass
class Fields:
    """Typed, placed reads of one document; each problem goes to ``problems``."""

    doc: Document
    problems: list[Problem]

    @property
    def file(self) -> str:
        return self.doc.file

    def where(self, path: Path) -> tuple[int, int]:
        return self.doc.where(path)

    def problem(self, path: Path, message: str, *, key: bool = False) -> None:
        before = len(self.doc.problems)
        self.doc.problem(path, message, key=key)
        self.problems.extend(self.doc.problems[before:])
        del self.doc.problems[before:]

    def value(self, path: Path) -> Any:
        data: Any = self.doc.data
        for key in path:
            if isinstance(data, Mapping) and isinstance(key, str):
                data = data.get(key)
            elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
                data = data[key]
            else:
                return None
        return data

    def has(self, path: Path) -> bool:
        parent = self.value(path[:-1])
        key = path[-1]
        if isinstance(parent, Mapping):
            return key in parent
        return isinstance(parent, list) and isinstance(key, int) and 0 <= key < len(parent)

    def text(self, path: Path, expected: str, *, required: bool = True) -> str | None:
        value = self.value(path)
        if value is None:
            if required:
                self.problem(path, f"missing; expected {expected}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"got {_show(value)}; expected {expected}")
            return None
        return value

    def number(self, path: Path, expected: str, *, required: bool = True) -> float | None:
        value = self.value(path)
        if value is None:
            if required:
                self.problem(path, f"missing; expected {expected}")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(path, f"got {_show(value)}; expected {expected}")
            return None
        return float(value)

    def mapping(self, path: Path, expected: str, *, required: bool = True) -> bool:
        value = self.value(path)
        if value is None:
            if required:
                self.problem(path, f"missing; expected {expected}")
            return False
        if not isinstance(value, Mapping):
            self.problem(path, f"got {_show(value)}; expected {expected}")
            return False
        return True

    def items(self, path: Path, expected: str, *, required: bool = True) -> int:
        """How many items the list at ``path`` has (0, with a problem, when it is none)."""
        value = self.value(path)
        if value is None or value == []:
            if required:
                self.problem(path, f"missing or empty; expected {expected}")
            return 0
        if not isinstance(value, list):
            self.problem(path, f"got {_show(value)}; expected {expected}")
            return 0
        return len(value)


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
