"""SLO contracts: the SLOs a team already keeps (OpenSLO v1, Sloth) as an experiment's hypothesis.

chaosrunner's own form (``kind: SLOContract``, SLIs written as in an experiment) is read by
``core/slo_contract`` (the gate's reader) and joins the same contract, one hypothesis per SLI.

``read_contract`` takes the text of every file of a contract (a file, or each YAML file of a
folder, read by the caller: the core does no I/O) and returns a :class:`Contract`: one
:class:`Hypothesis` per SLO objective, each an :class:`~chaosrunner.core.model.Sli` an experiment
judges, and the alerts the SLOs name. Whatever cannot be mapped is an :class:`ExperimentError`
whose problems name file, line, column and field; nothing is dropped silently. The mapping rules
are in ``mapping``; the readers in ``openslo`` and ``sloth``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chaosrunner.core.contracts.documents import Fields, load_documents
from chaosrunner.core.contracts.mapping import (
    DEFAULT_RATE_WINDOW,
    Contract,
    Hypothesis,
    MappingError,
    SloIntent,
    to_hypothesis,
)
from chaosrunner.core.contracts.openslo import API_VERSION as OPENSLO
from chaosrunner.core.contracts.openslo import OpenSloReader
from chaosrunner.core.contracts.sloth import SlothReader, is_sloth
from chaosrunner.core.errors import ExperimentError, Problem
from chaosrunner.core.model import ExpectedAlert
from chaosrunner.core.slo_contract import parse_contract
from chaosrunner.core.source import format_path, load_document

_CONTRACT_TEXT = re.compile(
    r"^(?:apiVersion:\s*[\"']?(?:openslo/|sloth\.slok\.dev/)|version:\s*[\"']?prometheus/v1"
    r"|kind:\s*[\"']?SLOContract\b)",
    re.MULTILINE,
)
_OWN_TEXT = re.compile(r"^kind:\s*[\"']?SLOContract\b", re.MULTILINE)
_EXPECTED = (
    "expected an OpenSLO document (apiVersion: openslo/v1), a Sloth spec (version: "
    "prometheus/v1, or apiVersion: sloth.slok.dev/v1) or a chaosrunner SLOContract"
)


def looks_like_contract(text: str) -> bool:
    """Whether ``text`` is an SLO file rather than an experiment (``validate`` checks either)."""
    return _CONTRACT_TEXT.search(text) is not None


def is_own_form(text: str) -> bool:
    """Whether ``text`` is chaosrunner's own ``kind: SLOContract`` form."""
    return _OWN_TEXT.search(text) is not None


def read_contract(
    sources: Sequence[tuple[str, str]], *, rate_window: float = DEFAULT_RATE_WINDOW
) -> Contract:
    """The contract in ``sources`` (file name, text); raises ExperimentError with every problem."""
    problems: list[Problem] = []
    hypotheses_own: list[Hypothesis] = []
    openslo: list[Fields] = []
    intents: list[SloIntent] = []
    alert_names: list[str] = []
    for file, text in sources:
        if is_own_form(text):  # chaosrunner's own form: one document, the gate's reader
            hypotheses_own.extend(_own(text, file, problems))
            continue
        docs, found = load_documents(text, file)
        problems.extend(found)
        for doc in docs:
            fields = Fields(doc, problems)
            api = doc.data.get("apiVersion")
            if api == OPENSLO:
                openslo.append(fields)
            elif is_sloth(fields):
                slos, alerts = SlothReader(fields).intents()
                intents.extend(slos)
                alert_names.extend(alerts)
            elif isinstance(api, str) and api.startswith("openslo/"):
                fields.problem(
                    ("apiVersion",), f"OpenSLO {api!r} is not supported; expected openslo/v1"
                )
            else:
                fields.problem(("apiVersion",) if api else (), f"not an SLO document; {_EXPECTED}")
    slos, alerts = OpenSloReader(openslo).intents()
    intents.extend(slos)
    alert_names.extend(alerts)
    hypotheses = _map(intents, rate_window, problems, hypotheses_own)
    if not hypotheses and not problems:
        where = sources[0][0] if sources else "contract"
        problems.append(Problem(where, 1, 1, "", f"no SLO found; {_EXPECTED} with an SLO"))
    if problems:
        raise ExperimentError(problems)
    files = tuple(dict.fromkeys(file for file, _ in sources))
    alerts_out = tuple(ExpectedAlert(name) for name in dict.fromkeys(alert_names))
    return Contract(files, hypotheses, alerts_out)


def _own(text: str, file: str, problems: list[Problem]) -> list[Hypothesis]:
    """chaosrunner's own ``kind: SLOContract``: its SLIs are the hypotheses, as written."""
    try:
        contract = parse_contract(text, file)
    except ExperimentError as exc:
        problems.extend(exc.problems)
        return []
    doc = load_document(text, file)
    out = []
    for i, sli in enumerate(contract.slis):
        path = ("spec", "steadyState", "slis", i)
        line, column = doc.where(path)
        out.append(Hypothesis(sli.name, sli, file, line, column, format_path(path)))
    return out


def _map(
    intents: list[SloIntent],
    rate_window: float,
    problems: list[Problem],
    own: list[Hypothesis],
) -> tuple[Hypothesis, ...]:
    out: list[Hypothesis] = list(own)
    names: dict[str, Hypothesis | SloIntent] = {h.sli.name: h for h in own}
    for intent in intents:
        first = names.get(intent.sli_name)
        if first is not None:
            problems.append(
                _problem(
                    intent,
                    f"SLO {intent.slo!r} maps to SLI name {intent.sli_name!r}, as SLO "
                    f"{first.slo!r} at {first.file}:{first.line} does; expected unique SLO names",
                )
            )
            continue
        names[intent.sli_name] = intent
        try:
            out.append(to_hypothesis(intent, rate_window))
        except MappingError as exc:
            problems.append(_problem(intent, str(exc)))
    return tuple(out)


def _problem(intent: SloIntent, message: str) -> Problem:
    return Problem(intent.file, intent.line, intent.column, intent.field, message)


__all__ = [
    "DEFAULT_RATE_WINDOW",
    "Contract",
    "Hypothesis",
    "is_own_form",
    "looks_like_contract",
    "read_contract",
]
