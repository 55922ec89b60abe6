"""Hostile and odd YAML: one located problem each, within bounded time and memory.

Every case here crashed, hung or was silently accepted before the loader composed the YAML
itself (see core/source.py). Each asserts the exact position and wording, and that loading
stays under a CPU-time and memory bound (the promise: ≤ 1 s and ≤ 100 MB for any file under
1 MB; we check 1 s of CPU time, and peak traced memory).
"""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from chaosrunner.cli import main
from chaosrunner.core import validate
from chaosrunner.core.errors import ExperimentError
from chaosrunner.core.source import MAX_FILE_BYTES, decode, format_path
from chaosrunner.runner.session import read_text
from tests.support import BASE, experiment

SECONDS = 1.0
MEGABYTES = 100


def bounded(text: str) -> list[str]:
    """The problems in ``text``, asserting the time and memory bounds on the way."""
    started = time.process_time()
    found = validate.check(text, "exp.yaml", environ={})
    spent = time.process_time() - started
    assert spent < SECONDS, f"{spent:.2f}s of CPU to load {len(text)} characters"
    if len(text) < 100_000:  # tracing is slow; a large text is measured in a process of its own
        tracemalloc.start()
        try:
            validate.check(text, "exp.yaml", environ={})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < MEGABYTES * 1e6, f"{peak / 1e6:.0f} MB to load {len(text)} characters"
    lines = [str(p) for p in found]
    assert all("\n" not in line for line in lines), lines
    return lines


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new)


def laughs(levels: int) -> str:
    """The "billion laughs": each level repeats the one before ten times."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


NOT_A_MAPPING = "expected a mapping with apiVersion, kind, metadata and spec (an Experiment)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "a: &a [*a]\n",
            "exp.yaml:1:8: alias *a is inside its own anchor &a; a recursive value is not "
            "allowed, expected an alias to a finished value",
            id="recursive-alias-list",
        ),
        pytest.param(
            "a: &a\n  b: *a\n",
            "exp.yaml:2:6: alias *a is inside its own anchor &a; a recursive value is not "
            "allowed, expected an alias to a finished value",
            id="recursive-alias-mapping",
        ),
        pytest.param(
            "a: *nope\n",
            "exp.yaml:1:4: alias *nope has no anchor &nope before it; expected one",
            id="undefined-alias",
        ),
        pytest.param(
            laughs(9),
            "exp.yaml:5:22: the document holds more than 50000 values (each alias counted as "
            "the values it repeats); expected an experiment, which is far smaller",
            id="billion-laughs",
        ),
        pytest.param(
            "a: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
            "exp.yaml:1:160: values nested more than 40 levels deep; expected a flatter file",
            id="deep-flow-nesting",
        ),
        pytest.param(
            "".join("  " * i + "a:\n" for i in range(300)) + "  " * 300 + "b\n",
            "exp.yaml:41:81: values nested more than 40 levels deep; expected a flatter file",
            id="deep-block-nesting",
        ),
        pytest.param(
            "a: &a " + "[" * 30 + "]" * 30 + "\nb: " + "[" * 20 + "*a" + "]" * 20 + "\n",
            "exp.yaml:2:24: values nested more than 40 levels deep; expected a flatter file",
            id="deep-through-an-alias",
        ),
        pytest.param(
            "~\n", f"exp.yaml:1:1: the document is nothing (null); {NOT_A_MAPPING}", id="null"
        ),
        pytest.param(
            "---\n", f"exp.yaml:2:1: the document is nothing (null); {NOT_A_MAPPING}", id="bare-doc"
        ),
        pytest.param(
            "- a\n- b\n", f"exp.yaml:1:1: the document is a list; {NOT_A_MAPPING}", id="list"
        ),
        pytest.param(
            "hello\n",
            f"exp.yaml:1:1: the document is the scalar 'hello'; {NOT_A_MAPPING}",
            id="scalar",
        ),
        pytest.param("", "exp.yaml:1:1: the file is empty; expected an Experiment", id="empty"),
        pytest.param(
            "# only a comment\n",
            "exp.yaml:1:1: the file is empty; expected an Experiment",
            id="comments",
        ),
        pytest.param(
            "a: 1\n---\nb: 2\n",
            "exp.yaml:3:1: expected one YAML document, found more",
            id="two-documents",
        ),
        pytest.param(
            "apiVersion: x\nkind: b\x01c\n",
            "exp.yaml:2:8: control character U+0001 is not allowed in YAML; expected UTF-8 text "
            "(inside double quotes write it as an escape)",
            id="control-character",
        ),
        pytest.param(
            "a: é\r\nb: ok\r\nc: x\x1b\n",
            "exp.yaml:3:5: control character U+001B is not allowed in YAML; expected UTF-8 text "
            "(inside double quotes write it as an escape)",
            id="control-character-after-crlf",
        ),
        pytest.param(
            "a: b\x00c\n",
            "exp.yaml:1:5: a NUL byte (U+0000): this looks like a binary file; expected UTF-8 "
            "text (inside double quotes write it as an escape)",
            id="nul",
        ),
    ],
)
def test_hostile_yaml_is_one_located_problem(text: str, expected: str) -> None:
    assert bounded(text) == [expected]


def test_an_alias_that_fits_is_still_allowed() -> None:
    text = edit("  owner: sre\n", "  owner: &who sre\n  description: *who\n").replace(
        "  description: a unit-test experiment\n", ""
    )
    assert bounded(text) == []
    assert experiment(text).metadata.description == "sre"


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        pytest.param(
            "  owner: " + "9" * 5000 + "\n",
            "exp.yaml:6:10: metadata.owner: an integer of 5000 digits is out of range; "
            "expected a 64-bit integer (at most 19 digits)",
            id="thousands-of-digits",
        ),
        pytest.param(
            "  owner: 9223372036854775808\n",
            "exp.yaml:6:10: metadata.owner: 9223372036854775808 is out of range; expected a "
            "64-bit integer",
            id="beyond-int64",
        ),
        pytest.param(
            "  owner: !!int abc\n",
            "exp.yaml:6:10: metadata.owner: 'abc' is not an integer; expected an integer",
            id="explicit-int-tag",
        ),
        pytest.param(
            "  owner: !!python/object:os.system x\n",
            "exp.yaml:6:10: the tag '!!python/object:os.system' is not supported; expected plain "
            "YAML values (strings, numbers, booleans, lists, mappings) without tags",
            id="python-tag",
        ),
        pytest.param(
            "  owner: !foo x\n",
            "exp.yaml:6:10: the tag '!foo' is not supported; expected plain YAML values "
            "(strings, numbers, booleans, lists, mappings) without tags",
            id="local-tag",
        ),
        pytest.param(
            "  owner: !!binary AAAA\n",
            "exp.yaml:6:10: the tag '!!binary' is not supported; expected plain YAML values "
            "(strings, numbers, booleans, lists, mappings) without tags",
            id="binary-tag",
        ),
        pytest.param(
            "  owner: !!set {a, b}\n",
            "exp.yaml:6:10: the tag '!!set' is not supported; expected plain YAML values "
            "(strings, numbers, booleans, lists, mappings) without tags",
            id="set-tag",
        ),
        pytest.param(
            "  <<: 1\n",
            "exp.yaml:6:7: a merge key (<<) takes a mapping or a list of mappings, e.g. "
            "<<: *defaults; got a scalar",
            id="merge-scalar",
        ),
        pytest.param(
            "  <<: [{tags: [a]}, [1]]\n",
            "exp.yaml:6:21: a merge key (<<) takes a mapping or a list of mappings, e.g. "
            "<<: *defaults; got a list",
            id="merge-list-of-list",
        ),
        pytest.param(
            '  "own\\ner": x\n',
            "exp.yaml:6:3: metadata[\"own\\ner\"]: unknown key 'own\\ner' (did you mean 'owner'?); "
            "expected one of: description, name, owner, tags",
            id="key-with-newline",
        ),
        pytest.param(
            "  ? [a, b]\n  : x\n",
            "exp.yaml:6:5: a key must be a string; got a list",
            id="list-as-key",
        ),
    ],
)
def test_odd_values_are_located(new: str, expected: str) -> None:
    found = bounded(edit("  owner: sre\n", new))
    assert expected in found, found


def test_timestamps_stay_the_text_written() -> None:
    # an impossible date raised ValueError from the YAML constructor; a real one became a date
    assert bounded(edit("  owner: sre\n", "  owner: 2001-13-45\n")) == []
    assert (
        experiment(edit("  owner: sre\n", "  owner: 2024-01-01\n")).metadata.owner == "2024-01-01"
    )


def test_a_merge_key_merges_under_the_mappings_own_keys() -> None:
    text = edit(
        '      prometheus: {url: "http://127.0.0.1:9"}\n',
        '      prometheus: {<<: [{url: "http://127.0.0.1:9", timeout: 2s}], timeout: 3s}\n',
    )
    assert bounded(text) == []
    assert experiment(text).env.prometheus.timeout == 3.0


def test_variables_cannot_expand_without_bound() -> None:
    text = edit("  owner: sre\n", "  owner: sre\n  tags:\n" + "    - ${big}\n" * 40)
    text = text.replace(
        "spec:\n", "spec:\n  variables:\n    big: {default: '" + "x" * 30000 + "'}\n"
    )
    found = bounded(text)
    assert found == [
        "exp.yaml:42:7: metadata.tags[34]: variables expand to more than 1048576 characters in "
        "all; expected shorter values"
    ], found


def test_a_file_of_almost_one_megabyte_loads_in_bounded_time(tmp_path: Path) -> None:
    tags = "  tags:\n" + "    - some-tag\n" * 45_000
    text = edit("  owner: sre\n", "  owner: sre\n" + tags)
    assert len(text.encode()) < MAX_FILE_BYTES
    assert bounded(text) == []
    path = tmp_path / "big.yaml"
    path.write_text(text)
    code = (
        "import resource, sys\n"
        "from chaosrunner.core import validate\n"
        "text = open(sys.argv[1]).read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "assert validate.check(text, 'big.yaml', environ={}) == []\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    assert int(out.stdout) < MEGABYTES * 1024, f"{int(out.stdout) // 1024} MB of RSS"


def test_a_huge_value_is_quoted_briefly() -> None:
    found = bounded(edit('"<= 200ms"', "'<= 1" + " " * 500_000 + "x'"))
    assert len(found) == 1 and len(found[0]) < 600, found[0][:700]
    assert found[0].startswith("exp.yaml:24:20: spec.steadyState.slis[1].objective: '<= 1   ")
    assert found[0].endswith(
        " x' is not valid; expected a comparator and a number, e.g. '>= 99.5%', '<= 200ms', "
        "'< 0.7%'"
    )


def test_format_path_quotes_keys_a_terminal_would_break_on() -> None:
    assert format_path(("spec", "targets", "a b", 0, "x\ny")) == 'spec.targets["a b"][0]["x\\ny"]'
    assert format_path(("spec", "labelSelector", "app.kubernetes.io/name")) == (
        "spec.labelSelector.app.kubernetes.io/name"
    )


# -- the file itself: binary, too big, a directory ---------------------------------------------


def test_invalid_utf8_is_located_at_its_byte() -> None:
    with pytest.raises(ExperimentError) as exc:
        decode(
            "apiVersion: x\nkind: é\xff".encode("utf-8", "surrogateescape").replace(
                b"\xc3\xbf", b"\xff"
            ),
            "f.yaml",
        )
    assert [str(p) for p in exc.value.problems] == [
        "f.yaml:2:8: byte 0xff is not UTF-8; expected UTF-8 text, not a binary file"
    ]


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ExperimentError) as exc:
        read_text(big)
    assert [str(p) for p in exc.value.problems] == [
        f"{big}:1:1: the file is larger than 1048576 bytes (1 MiB); expected an experiment "
        "file, which is far smaller"
    ]


@pytest.mark.parametrize("command", ["validate", "run", "render"])
def test_a_directory_or_binary_file_is_an_error_not_a_crash(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "x.yaml"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    for path, expected in (
        (tmp_path, f"{tmp_path}:1:1: this is a directory; expected an experiment file"),
        (binary, f"{binary}:1:1: control character U+007F is not allowed in YAML"),
    ):
        assert main([command, str(path)]) == 4
        captured = capsys.readouterr()
        assert expected in captured.out + captured.err


# -- whitespace in durations and percentages: one rule, schema and parser alike --------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "blast: 5s",
            'blast: "5s\\n"',
            "exp.yaml:33:35: spec.schedule.blast: '5s\\n' is not valid; expected a duration such "
            "as 500ms, 30s, 1m30s (no spaces or line breaks)",
            id="duration-newline",
        ),
        pytest.param(
            "blast: 5s",
            'blast: " 5s "',
            "exp.yaml:33:35: spec.schedule.blast: ' 5s ' is not valid; expected a duration such "
            "as 500ms, 30s, 1m30s (no spaces or line breaks)",
            id="duration-spaces",
        ),
        pytest.param(
            "blast: 5s",
            "blast: ٥s",
            "exp.yaml:33:35: spec.schedule.blast: '٥s' is not valid; expected a duration such "
            "as 500ms, 30s, 1m30s (no spaces or line breaks)",
            id="duration-arabic-digit",
        ),
        pytest.param(
            '">= 99%"',
            '">= 99%\\n"',
            "exp.yaml:21:20: spec.steadyState.slis[0].objective: '>= 99%\\n' is not valid; "
            "expected a comparator and a number, e.g. '>= 99.5%', '<= 200ms', '< 0.7%'",
            id="objective-newline",
        ),
    ],
)
def test_whitespace_in_a_quantity_is_rejected_with_position(
    old: str, new: str, expected: str
) -> None:
    assert expected in bounded(edit(old, new))


def test_a_percentage_with_spaces_is_rejected_with_position() -> None:
    text = edit("  faults:\n", '  blastRadius: {maxPercent: " 99.5% "}\n  faults:\n')
    assert bounded(text) == [
        "exp.yaml:29:29: spec.blastRadius.maxPercent: ' 99.5% ' is not valid; expected a "
        "percentage such as 95% (no spaces or line breaks)"
    ]
