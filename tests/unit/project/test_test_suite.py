"""Rules of the test suite itself: markers come from folders, tests inject rather than patch.

A marker is applied in one place (tests/conftest.py, by top folder), so ``-m unit`` and friends
select exactly a folder. A test that patches a private name pins an implementation detail and
breaks on a rename while the behaviour holds: what a test must replace is injected instead
(a constructor argument such as ``sleep``, ``events`` or ``client``), or is a public name.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from tests.conftest import FOLDER_MARKERS, marker_for

TESTS = Path(__file__).resolve().parents[2]
ROOT = TESTS.parent
TEST_FILES = sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_folder_marker_is_registered_and_every_test_folder_has_one() -> None:
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    registered = {line.split(":")[0] for line in ini["markers"]}
    assert set(FOLDER_MARKERS.values()) <= registered
    tops = {p.relative_to(TESTS).parts[0] for p in TESTS.rglob("test_*.py")}
    assert tops <= set(FOLDER_MARKERS), tops - set(FOLDER_MARKERS)
    assert marker_for(TESTS / "unit" / "x" / "test_y.py") == "unit"
    assert marker_for(ROOT / "bench" / "test_y.py") is None


def test_this_test_is_marked_by_its_folder(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("unit") is not None


def _private(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("_") and not last.startswith("__")


def _patches(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in ("setattr", "patch", "object"):
                continue
            args = node.args
            strings = [a.value for a in args[:2] if isinstance(a, ast.Constant)]
            if any(isinstance(s, str) and _private(s) for s in strings):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and _private(target.attr)
                    and not (isinstance(target.value, ast.Name) and target.value.id == "self")
                ):
                    found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_patches_a_private_name_nor_marks_its_own_kind(path: Path) -> None:
    tree = ast.parse(path.read_text())
    assert _patches(tree) == []
    own = marker_for(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            assert f"pytest.mark.{own}" not in ast.unparse(node.value), "the folder marks it"
