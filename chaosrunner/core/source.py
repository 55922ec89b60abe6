"""YAML text → plain values, with the line and column of every node and variables resolved.

Validation messages must name ``FILE:LINE:COLUMN`` for the exact field, so we compose the YAML
node graph ourselves instead of calling ``safe_load``, and remember where each value (and each
mapping key) stood. ``${name}`` is resolved here, against ``--var`` values, then the process
environment the caller passes in, then the defaults declared under ``spec.variables``: an
unresolved name is a Problem at the scalar that used it. A plain scalar that was entirely one
``${name}`` is re-typed after substitution, so ``replicas: ${n}`` with ``n=3`` is the integer 3.

The file may be hostile, so the composer is ours too, driven by the parser's events with an
explicit stack: no recursion the input controls, and hard bounds checked as the events arrive
(before any work grows with them). Nesting deeper than :data:`MAX_DEPTH`, more than
:data:`MAX_VALUES` values once aliases are expanded (the "billion laughs"), an alias inside its
own anchor, integers beyond 64 bits (Python refuses to parse ints of thousands of digits), tags
other than YAML's plain ones (``!!python/object``, ``!foo``, ``!!binary``), a merge key (``<<``)
on anything but mappings, control characters, more than one document and a root that is not a
mapping each become one Problem at the exact place. Timestamps stay the text that was written.
Keys are the text that was written (``on:`` is the key ``"on"``, not ``True``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from chaosrunner.core.errors import ExperimentError, Problem

Path = tuple[str | int, ...]
_VAR = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: The README's promise: a name that says token, password, secret, key or credential, in any
#: case and position (ACCESS_KEY, dbPassword, apiToken, Credentials), holds a secret.
_SECRET_NAME = re.compile(r"token|passw(?:or)?d|secret|key|credential", re.IGNORECASE)

MAX_FILE_BYTES = 1_048_576
MAX_DEPTH = 40
MAX_VALUES = 50_000
MAX_EXPANSION = 1_048_576  # characters all ${name} substitutions may add up to
_INT64 = (-(2**63), 2**63 - 1)

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = f"{_TAG}map", f"{_TAG}seq", f"{_TAG}merge"
_AS_TEXT = {f"{_TAG}timestamp", f"{_TAG}value", _MERGE}
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, "!"}
# Everything YAML 1.1 forbids in a stream, where it stands (the readers only say "position N").
_FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_PARSER: Any = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
_PLAIN_KEY = re.compile(r"[^\s\"'\[\]]+")


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def format_path(path: Path) -> str:
    """``spec.faults[0].params``; a key with spaces, quotes or line breaks is quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part) or not part.isprintable():
            out += "[" + _quote(part) + "]"
        else:
            out += f".{part}" if out else part
    return out


def _quote(text: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return '"' + shown.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counting YAML's line breaks."""
    prefix = text[:index]
    breaks = list(_BREAK.finditer(prefix))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


def decode(data: bytes, file: str) -> str:
    """The file's text; raises ExperimentError (with the position) for a binary or huge file."""
    if len(data) > MAX_FILE_BYTES:
        raise ExperimentError(
            [
                Problem(
                    file,
                    1,
                    1,
                    "",
                    f"the file is larger than {MAX_FILE_BYTES} bytes (1 MiB); "
                    "expected an experiment file, which is far smaller",
                )
            ]
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", errors="replace")) + 1
        message = (
            f"byte 0x{data[exc.start]:02x} is not UTF-8; expected UTF-8 text, not a binary file"
        )
        raise ExperimentError([Problem(file, line, column, "", message)]) from exc


@dataclass
class Document:
    """A loaded file: its values, where each stood, and what was wrong with it."""

    file: str
    data: Any = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    secret_paths: set[Path] = field(default_factory=set)  # values built from a secret variable
    variables: dict[str, str] = field(default_factory=dict)
    unresolved: list[tuple[Path, Problem]] = field(default_factory=list)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Position of the value at ``path`` (or of its key), else of its nearest ancestor."""
        table = self.key_positions if key else self.positions
        probe = path
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: Path, message: str, *, key: bool = False) -> None:
        line, column = self.where(path, key=key)
        self.problems.append(Problem(self.file, line, column, format_path(path), _brief(message)))

    def at(self, mark: Any, message: str) -> None:
        line, column = mark.line + 1, mark.column + 1
        self.problems.append(Problem(self.file, line, column, "", _brief(message)))


def _brief(message: str) -> str:
    """One line of readable length: a message may quote a 1 MB value or a line break."""
    one = message.replace("\r", "\\r").replace("\n", "\\n")
    return one if len(one) <= 400 else f"{one[:300]} [...] {one[-90:]}"


def load_document(
    text: str,
    file: str,
    *,
    cli_vars: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Document:
    """Parse ``text``; every problem is recorded on the document, nothing is raised."""
    doc = Document(file)
    if len(text) > MAX_FILE_BYTES:
        message = f"the text is longer than {MAX_FILE_BYTES} characters; expected an experiment"
        doc.problems.append(Problem(file, 1, 1, "", message))
        return doc
    bad = _FORBIDDEN.search(text)
    if bad:
        line, column = _line_col(text, bad.start())
        char = bad.group()
        what = (
            "a NUL byte (U+0000): this looks like a binary file"
            if char == "\0"
            else f"control character U+{ord(char):04X} is not allowed in YAML"
        )
        message = f"{what}; expected UTF-8 text (inside double quotes write it as an escape)"
        doc.problems.append(Problem(file, line, column, "", message))
        return doc
    try:
        root = _Composer(doc).compose(yaml.parse(text, Loader=_PARSER))
    except _Stop:
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "malformed YAML"
        doc.problems.append(Problem(file, line, col, "", f"malformed YAML: {what}"))
        return doc
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line, col = _line_col(text, position) if isinstance(position, int) else (1, 1)
        what = str(getattr(exc, "reason", "") or "unreadable text")
        doc.problems.append(Problem(file, line, col, "", f"malformed YAML: {what}"))
        return doc
    if root is None:
        doc.problems.append(Problem(file, 1, 1, "", "the file is empty; expected an Experiment"))
        return doc
    if not isinstance(root, yaml.MappingNode):
        got = "a list" if isinstance(root, yaml.SequenceNode) else f"the scalar {root.value!r}"
        if isinstance(root, yaml.ScalarNode) and root.tag == _NULL:
            got = "nothing (null)"
        doc.at(
            root.start_mark,
            f"the document is {got[:80]}; expected a mapping with apiVersion, kind, metadata "
            "and spec (an Experiment)",
        )
        return doc
    resolver = _Resolver(doc, dict(cli_vars or {}), dict(environ or {}))
    resolver.collect_declared(root)
    doc.data = resolver.build(root, ())
    return doc


class _Stop(Exception):
    """The composer found a problem it cannot go past (recorded on the document)."""


@dataclass
class _Open:
    node: yaml.MappingNode | yaml.SequenceNode
    anchor: str | None
    items: list[yaml.Node] = field(default_factory=list)


class _Composer:
    """Events → nodes, iteratively, with every bound checked before the work it guards."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.resolver = yaml.resolver.Resolver()
        self.anchors: dict[str, yaml.Node] = {}
        self.open_anchors: set[str] = set()
        self.measure: dict[int, tuple[int, int]] = {}  # id(node) → (values expanded, height)
        self.total = 0
        self.stack: list[_Open] = []

    def stop(self, mark: Any, message: str) -> _Stop:
        self.doc.at(mark, message)
        return _Stop()

    def compose(self, events: Iterator[yaml.Event]) -> yaml.Node | None:
        root: yaml.Node | None = None
        documents = 0
        for event in events:
            if documents > 1:  # at the second document's first value (or its end)
                raise self.stop(event.start_mark, "expected one YAML document, found more")
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
            elif isinstance(event, yaml.AliasEvent):
                root = self._alias(event) or root
            elif isinstance(event, yaml.ScalarEvent):
                root = self._attach(self._scalar(event), event.anchor, 1, 1) or root
            elif isinstance(event, yaml.CollectionStartEvent):
                self._open(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                root = self._close() or root
        return root

    def _count(self, values: int, mark: Any) -> None:
        self.total += values
        if self.total > MAX_VALUES:
            raise self.stop(
                mark,
                f"the document holds more than {MAX_VALUES} values (each alias counted as "
                "the values it repeats); expected an experiment, which is far smaller",
            )

    def _alias(self, event: yaml.AliasEvent) -> yaml.Node | None:
        name = str(event.anchor)
        if name in self.open_anchors:
            raise self.stop(
                event.start_mark,
                f"alias *{name} is inside its own anchor &{name}; a recursive value is not "
                "allowed, expected an alias to a finished value",
            )
        target = self.anchors.get(name)
        if target is None:
            raise self.stop(
                event.start_mark, f"alias *{name} has no anchor &{name} before it; expected one"
            )
        values, height = self.measure[id(target)]
        self._depth(len(self.stack) + height, event.start_mark)
        self._count(values, event.start_mark)
        return self._attach(target, None, values, height)

    def _depth(self, depth: int, mark: Any) -> None:
        if depth > MAX_DEPTH:
            raise self.stop(
                mark, f"values nested more than {MAX_DEPTH} levels deep; expected a flatter file"
            )

    def _scalar(self, event: yaml.ScalarEvent) -> yaml.ScalarNode:
        self._count(1, event.start_mark)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, event.value, event.implicit
            )
        elif tag not in _SCALAR_TAGS:
            self.doc.at(event.start_mark, _bad_tag(tag))
            tag = _STR
        start, end = _marks(event)
        return yaml.ScalarNode(tag, event.value, start, end, event.style or None)  # libyaml: ''

    def _open(self, event: yaml.CollectionStartEvent) -> None:
        self._count(1, event.start_mark)
        self._depth(len(self.stack) + 1, event.start_mark)
        mapping = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (None, "!", _MAP if mapping else _SEQ):
            self.doc.at(event.start_mark, _bad_tag(str(event.tag)))
        start, end = _marks(event)
        node: yaml.MappingNode | yaml.SequenceNode = (
            yaml.MappingNode(_MAP, [], start, end)
            if mapping
            else yaml.SequenceNode(_SEQ, [], start, end)
        )
        if event.anchor is not None:
            self.open_anchors.add(str(event.anchor))
        self.stack.append(_Open(node, event.anchor))

    def _close(self) -> yaml.Node | None:
        frame = self.stack.pop()
        node = frame.node
        if isinstance(node, yaml.MappingNode):
            pairs = list(zip(frame.items[::2], frame.items[1::2], strict=True))
            node.value = self._merge(pairs)
        else:
            node.value = frame.items
        measures = [self.measure[id(child)] for child in frame.items]
        values = 1 + sum(m[0] for m in measures)
        height = 1 + max((m[1] for m in measures), default=0)
        if frame.anchor is not None:
            self.open_anchors.discard(str(frame.anchor))
        return self._attach(node, frame.anchor, values, height)

    def _attach(
        self, node: yaml.Node, anchor: str | None, values: int, height: int
    ) -> yaml.Node | None:
        """Hang ``node`` under the open collection; returns it when it is the root."""
        self.measure[id(node)] = (values, height)
        if anchor is not None:
            self.anchors[str(anchor)] = node
        if self.stack:
            self.stack[-1].items.append(node)
            return None
        return node

    def _merge(self, pairs: list[tuple[yaml.Node, yaml.Node]]) -> list[tuple[Any, Any]]:
        """YAML's merge key: ``<<: *defaults`` (or a list of them) under the mapping's own keys."""
        own: list[tuple[Any, Any]] = []
        merged: list[tuple[Any, Any]] = []
        for key, value in pairs:
            if not (isinstance(key, yaml.ScalarNode) and key.tag == _MERGE):
                own.append((key, value))
                continue
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if isinstance(source, yaml.MappingNode):
                    merged.extend(source.value)
                else:
                    kind = "a list" if isinstance(source, yaml.SequenceNode) else "a scalar"
                    self.doc.at(
                        source.start_mark,
                        f"a merge key (<<) takes a mapping or a list of mappings, e.g. "
                        f"<<: *defaults; got {kind}",
                    )
        if not merged:
            return own
        seen = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        out: list[tuple[Any, Any]] = []
        for key, value in merged:
            text = key.value if isinstance(key, yaml.ScalarNode) else None
            if text is None or text not in seen:
                out.append((key, value))
                if text is not None:
                    seen.add(text)
        return out + own


def _marks(event: yaml.Event) -> tuple[Any, Any]:
    """The event's marks (libyaml's Mark type is a different class with the same fields)."""
    return event.start_mark, event.end_mark


def _bad_tag(tag: str) -> str:
    shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
    return (
        f"the tag {shown[:60]!r} is not supported; expected plain YAML values (strings, numbers, "
        "booleans, lists, mappings) without tags"
    )


class _Resolver:
    def __init__(self, doc: Document, cli_vars: dict[str, str], environ: dict[str, str]) -> None:
        self.doc = doc
        self.cli_vars = cli_vars
        self.environ = environ
        self.defaults: dict[str, str] = {}
        self.declared_secret: set[str] = set()
        self.constructor = yaml.constructor.SafeConstructor()
        self.resolver = yaml.resolver.Resolver()
        self.expanded = 0

    def collect_declared(self, root: yaml.Node) -> None:
        """Read ``spec.variables`` first: their defaults feed every other value."""
        spec = _child(root, "spec")
        variables = _child(spec, "variables") if spec is not None else None
        if not isinstance(variables, yaml.MappingNode):
            return
        for key_node, value_node in variables.value:
            if not isinstance(value_node, yaml.MappingNode) or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            default = _child(value_node, "default")
            if isinstance(default, yaml.ScalarNode):
                self.defaults[str(key_node.value)] = str(default.value)
            secret = _child(value_node, "secret")
            if isinstance(secret, yaml.ScalarNode) and secret.value in ("true", "True", "yes"):
                self.declared_secret.add(str(key_node.value))

    def build(self, node: yaml.Node, path: Path, *, raw: bool = False) -> Any:
        """The value of ``node``; under spec.variables (``raw``) nothing is substituted."""
        self.doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, raw=raw)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), raw=raw) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._construct(node, path) if raw else self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path, *, raw: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                self.doc.at(key_node.start_mark, f"a key must be a string; got {kind}")
                continue
            key = str(key_node.value)
            key_path = (*path, key)
            self.doc.key_positions[key_path] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            if key in out:
                self.doc.problem(
                    key_path, f"duplicate key {key!r}; each key may appear once", key=True
                )
            in_variables = raw or path == ("spec", "variables")
            out[key] = self.build(value_node, key_path, raw=in_variables)
        return out

    def _construct(self, node: yaml.ScalarNode, path: Path) -> Any:
        """A scalar's value by its (plain YAML) tag, within bounds; a Problem when it cannot be."""
        tag, text = node.tag, str(node.value)
        if tag in (_STR, "!") or tag in _AS_TEXT:
            return text
        if tag == _NULL:
            return None
        try:
            if tag == _BOOL:
                return self.constructor.bool_values[text.lower()]
            if tag == _INT:
                digits = len(text.replace("_", "").lstrip("+-"))
                if digits > 20:
                    self.doc.problem(
                        path,
                        f"an integer of {digits} digits is out of range; expected a 64-bit "
                        "integer (at most 19 digits)",
                    )
                    return None
                number = self.constructor.construct_yaml_int(node)
                if not _INT64[0] <= number <= _INT64[1]:
                    self.doc.problem(path, f"{number} is out of range; expected a 64-bit integer")
                    return None
                return number
            if tag == _FLOAT:
                return self.constructor.construct_yaml_float(node)
        except (ValueError, KeyError, ArithmeticError):
            what = {_BOOL: "a boolean", _INT: "an integer", _FLOAT: "a number"}[tag]
            self.doc.problem(path, f"{text[:40]!r} is not {what}; expected {what}")
            return None
        return text

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        value = self._construct(node, path)
        if not isinstance(value, str) or "$" not in value:
            return value
        substituted, whole = self._substitute(value, path)
        if substituted is not None:
            self.expanded += len(substituted)
            if self.expanded > MAX_EXPANSION:
                if self.expanded - len(substituted) <= MAX_EXPANSION:  # say it once
                    self.doc.problem(
                        path,
                        f"variables expand to more than {MAX_EXPANSION} characters in all; "
                        "expected shorter values",
                    )
                return value
        if whole and node.style is None and substituted is not None:
            tag = self.resolver.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, substituted, (True, False)
            )
            retyped = yaml.ScalarNode(tag, substituted, node.start_mark, node.end_mark)
            return self._construct(retyped, path)
        return value if substituted is None else substituted

    def _substitute(self, text: str, path: Path) -> tuple[str | None, bool]:
        pieces: list[str] = []
        last = 0
        ok = True
        matches = list(_VAR.finditer(text))
        whole = len(matches) == 1 and matches[0].span() == (0, len(text))
        for match in matches:
            pieces.append(text[last : match.start()])
            last = match.end()
            if match.group(0) == "$${":
                pieces.append("${")
                continue
            name = match.group(1)
            if name is None:
                self.doc.problem(
                    path, "unterminated '${'; expected ${name} (write $${ for a literal)"
                )
                ok = False
                continue
            if not _NAME.fullmatch(name):
                shown = name if len(name) <= 40 else name[:37] + "..."
                self.doc.problem(
                    path, f"bad variable name {shown!r}; expected letters, digits, '_'"
                )
                ok = False
                continue
            resolved = self._lookup(name)
            if resolved is None:
                line, column = self.doc.where(path)
                message = (
                    f"variable {name!r} is not set; pass --var {name}=VALUE, set the "
                    f"environment variable {name}, or declare a default under spec.variables"
                )
                problem = Problem(self.doc.file, line, column, format_path(path), message)
                self.doc.unresolved.append((path, problem))
                ok = False
                continue
            if name in self.declared_secret or is_secret_name(name):
                self.doc.secret_paths.add(path)
            pieces.append(resolved)
        pieces.append(text[last:])
        return ("".join(pieces) if ok else None), whole

    def _lookup(self, name: str) -> str | None:
        for source in (self.cli_vars, self.environ, self.defaults):
            if name in source:
                value = source[name]
                self.doc.variables[name] = value
                if value and (name in self.declared_secret or _SECRET_NAME.search(name)):
                    self.doc.secrets.add(value)
                return value
        return None


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found: yaml.Node = value_node
            return found
    return None
