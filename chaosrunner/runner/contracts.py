"""Reading SLO contract files: a file, or every ``.yaml``/``.yml`` file of a folder, in name order.

The pure core (``core/contracts``) maps the text; this is the I/O it leaves to the caller, with
the same bounds as an experiment file (1 MiB of UTF-8 each) and a bound on a folder's size.
"""

from __future__ import annotations

from pathlib import Path

from chaosrunner.core import gate
from chaosrunner.core.contracts import is_own_form, read_contract
from chaosrunner.core.contracts.experiment import ContractFiles
from chaosrunner.core.errors import ExperimentError, Problem
from chaosrunner.core.slo_contract import parse_contract
from chaosrunner.core.source import MAX_FILE_BYTES, decode

#: A folder with more YAML files than this is not a contract folder kept by hand.
MAX_FILES = 50
SUFFIXES = (".yaml", ".yml")


def contract_paths(path: Path) -> list[Path]:
    """The contract files at ``path``; ValueError (what is wrong) when there are none."""
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
        if not found:
            raise ValueError(f"the folder {str(path)!r} holds no .yaml or .yml file")
        if len(found) > MAX_FILES:
            raise ValueError(f"the folder {str(path)!r} holds more than {MAX_FILES} YAML files")
        return found
    if not path.is_file():
        raise ValueError(f"there is no file or folder {str(path)!r}")
    return [path]


def read_sources(path: Path) -> list[tuple[str, str]]:
    """``(file name, text)`` of each contract file at ``path``."""
    out: list[tuple[str, str]] = []
    for file in contract_paths(path):
        try:
            with file.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ValueError(f"cannot read {str(file)!r}: {exc.strerror}") from exc
        out.append((str(file), decode(data, str(file))))
    return out


def reader_for(experiment: Path) -> ContractFiles:
    """Reads a contract named in ``experiment`` (its path relative to the experiment's folder)."""

    def read(name: str) -> list[tuple[str, str]]:
        return read_sources(experiment.parent / name)

    return read


def gate_contract(path: Path) -> gate.Contract:
    """The gate's contract at ``path``: chaosrunner's own ``kind: SLOContract`` file (with its
    coverage), or OpenSLO/Sloth files (a file or a folder), whose SLOs become its SLIs."""
    try:
        sources = read_sources(path)
    except ValueError as exc:
        raise ExperimentError(
            [Problem(str(path), 1, 1, "", f"{exc}; expected an SLO file or a folder of them")]
        ) from exc
    if len(sources) == 1 and is_own_form(sources[0][1]):
        return parse_contract(sources[0][1], sources[0][0])
    contract = read_contract(sources)
    return gate.Contract(name=path.stem, source=str(path), slis=contract.slis)
