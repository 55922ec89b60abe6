"""YAML text → plain values, with the line and column of every node and variables resolved.

Validation messages must name ``FILE:LINE:COLUMN`` for the exact field, so we compose the YAML
node graph ourselves instead of calling ``safe_load``, and remember where each value (and each
mapping key) stood. ``${name}`` is resolved here, against ``--var`` values, then the process
environment the caller passes in, then the defaults declared under ``spec.variables``: an
unresolved name is a Problem at the scalar that used it. A plain scalar that was entirely one
``${name}`` is re-typed after substitution, so ``replicas: ${n}`` with ``n=3`` is the integer 3.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from chaosrunner.core.errors import Problem

Path = tuple[str | int, ...]
_VAR = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_NAME = re.compile(r"token|password|passwd|secret|api[_-]?key|credential", re.IGNORECASE)


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass
class Document:
    """A loaded file: its values, where each stood, and what was wrong with it."""

    file: str
    data: Any = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
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
        self.problems.append(Problem(self.file, line, column, format_path(path), message))


def load_document(
    text: str,
    file: str,
    *,
    cli_vars: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Document:
    """Parse ``text``; every problem is recorded on the document, nothing is raised."""
    doc = Document(file)
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "malformed YAML"
        doc.problems.append(Problem(file, line, col, "", f"malformed YAML: {what}"))
        return doc
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(file, 1, 1, "", f"malformed YAML: {exc}"))
        return doc
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        doc.problems.append(Problem(file, 1, 1, "", "the file is empty; expected an Experiment"))
        return doc
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        doc.problems.append(
            Problem(
                file, mark.line + 1, mark.column + 1, "", "expected one YAML document, found more"
            )
        )
        return doc
    resolver = _Resolver(doc, dict(cli_vars or {}), dict(environ or {}))
    resolver.collect_declared(nodes[0])
    doc.data = resolver.build(nodes[0], ())
    return doc


class _Resolver:
    def __init__(self, doc: Document, cli_vars: dict[str, str], environ: dict[str, str]) -> None:
        self.doc = doc
        self.cli_vars = cli_vars
        self.environ = environ
        self.defaults: dict[str, str] = {}
        self.declared_secret: set[str] = set()
        self.constructor = yaml.SafeLoader("")

    def collect_declared(self, root: yaml.Node) -> None:
        """Read ``spec.variables`` first: their defaults feed every other value."""
        spec = _child(root, "spec")
        variables = _child(spec, "variables") if spec is not None else None
        if not isinstance(variables, yaml.MappingNode):
            return
        for key_node, value_node in variables.value:
            if not isinstance(value_node, yaml.MappingNode):
                continue
            default = _child(value_node, "default")
            if isinstance(default, yaml.ScalarNode):
                self.defaults[str(key_node.value)] = str(default.value)
            secret = _child(value_node, "secret")
            if isinstance(secret, yaml.ScalarNode) and secret.value in ("true", "True", "yes"):
                self.declared_secret.add(str(key_node.value))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            key_path = (*path, key)
            self.doc.key_positions[key_path] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            if key in out:
                self.doc.problem(
                    key_path, f"duplicate key {key!r}; each key may appear once", key=True
                )
            in_variables = path == ("spec", "variables") or path[:2] == ("spec", "variables")
            out[key] = (
                self._raw(value_node, key_path)
                if in_variables
                else self.build(value_node, key_path)
            )
        return out

    def _raw(self, node: yaml.Node, path: Path) -> Any:
        """Values under spec.variables are taken literally: no substitution inside them."""
        self.doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out = {}
            for k, v in node.value:
                kp = (*path, str(k.value))
                self.doc.key_positions[kp] = (k.start_mark.line + 1, k.start_mark.column + 1)
                out[str(k.value)] = self._raw(v, kp)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._raw(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node)

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        value = self.constructor.construct_object(node)
        if not isinstance(value, str) or "$" not in value:
            return value
        substituted, whole = self._substitute(value, path)
        if whole and node.style is None and substituted is not None:
            tag = yaml.SafeLoader("").resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, substituted, (True, False)
            )
            retyped = yaml.ScalarNode(tag, substituted)
            return self.constructor.construct_object(retyped)
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
                self.doc.problem(path, f"bad variable name {name!r}; expected letters, digits, '_'")
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
