"""Turn experiment text into a validated :class:`Experiment`, or into every problem it has.

Three jobs, three modules: ``schema_errors`` words what the JSON Schema (the same one editors
use) finds wrong with the shape; ``checks`` finds what a schema says badly (a fault naming an
undeclared target, a kind the driver cannot inject, bindings that do not fit the driver, windows
that do not fit); ``build`` turns a clean document into the model, once. This module runs them in
order and masks secrets in the messages. Every problem carries file, line, column and field path,
and says what was expected. Nothing here touches the outside world; the caller reads the file
and passes the environment in.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Iterable, Mapping

from chaosrunner.core.build import build
from chaosrunner.core.checks import Checks, get
from chaosrunner.core.contracts.experiment import ContractFiles, read_contract_of, with_contract
from chaosrunner.core.errors import ExperimentError, Problem
from chaosrunner.core.model import Experiment
from chaosrunner.core.schema_errors import schema_problems
from chaosrunner.core.source import Document, Path, format_path, is_secret_name, load_document

#: What stands in a message for a secret variable's value.
MASK = "***"


def check(
    text: str,
    file: str,
    *,
    env: str | None = None,
    cli_vars: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    contract_files: ContractFiles | None = None,
) -> list[Problem]:
    """Every problem in ``text``; with ``env`` only those that matter for that environment."""
    try:
        load(
            text,
            file,
            env=env,
            cli_vars=cli_vars,
            environ=environ,
            all_envs=env is None,
            contract_files=contract_files,
        )
    except ExperimentError as exc:
        return exc.problems
    return []


def load(
    text: str,
    file: str,
    *,
    env: str | None = None,
    cli_vars: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    all_envs: bool = False,
    contract_files: ContractFiles | None = None,
) -> Experiment:
    """The experiment resolved for ``env`` (or the file's default); raises ExperimentError.

    ``contract_files`` reads the SLO contract ``steadyState.contract`` names (the core does no
    I/O); without it a file that names a contract is a problem."""
    doc = load_document(text, file, cli_vars=cli_vars, environ=environ)
    if doc.data is None:
        raise ExperimentError(doc.problems)
    _check_cli_vars(doc, cli_vars or {})
    schema_problems(doc)
    checks = Checks(doc)
    chosen = checks.choose_env(env)
    checked = checks.declared_envs() if all_envs else ([chosen] if chosen else [])
    for name, problem in doc.unresolved:
        if _concerns(name, checked, checks.declared_envs()):
            doc.problems.append(problem)
    for env_name in checked:
        checks.check_env(env_name)
    contract = read_contract_of(doc, contract_files)
    experiment = build(doc, chosen) if chosen and not doc.problems else None
    if experiment is not None and contract is not None:
        experiment = with_contract(doc, experiment, contract)
    if doc.problems or experiment is None:
        raise ExperimentError(_masked(_unique(doc.problems), doc))
    return experiment


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(set(problems))


def _check_cli_vars(doc: Document, cli_vars: Mapping[str, str]) -> None:
    """A ``--var`` the file neither declares nor uses would be ignored: a misspelt override
    that never happens. Its problem stands at ``spec.variables`` (the command line has no
    position in the file), or at ``spec`` when the file declares no variables."""
    declared = get(doc.data, "spec", "variables")
    names = sorted(set(declared if isinstance(declared, Mapping) else ()) | set(doc.variables))
    for name in sorted(set(cli_vars) - set(names)):
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        known = f"expected one of: {', '.join(names)}" if names else "expected no --var"
        doc.problem(
            ("spec", "variables"),
            f"--var {name}: the file declares no variable {name!r} and uses none, so it would "
            f"be ignored; {hint}{known}",
            key=True,
        )


def _masked(problems: list[Problem], doc: Document) -> list[Problem]:
    """Problems with every secret variable's value replaced by ``***``.

    A message may quote the value it found (``'...' is not valid``), and that value may have
    come from a secret variable. Values of four characters or more are masked in every
    message; shorter ones only in messages about a field built from a secret (masking ``ab``
    everywhere would garble the text)."""
    secrets = set(doc.secrets)
    paths = {format_path(p) for p in doc.secret_paths}
    declared = get(doc.data, "spec", "variables")
    for name, decl in declared.items() if isinstance(declared, Mapping) else ():
        if is_secret_name(str(name)) or (isinstance(decl, Mapping) and decl.get("secret") is True):
            paths.add(f"spec.variables.{name}")
            default = decl.get("default") if isinstance(decl, Mapping) else None
            if default is not None and str(default):
                secrets.add(str(default))
    if not secrets:
        return problems
    ordered = sorted(secrets, key=len, reverse=True)
    out = []
    for problem in problems:
        about_secret = any(_related(problem.path, p) for p in paths)
        message = problem.message
        for secret in ordered:
            if len(secret) >= 4 or about_secret:
                for form in {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}:
                    message = message.replace(form, MASK)
        out.append(dataclasses.replace(problem, message=message))
    return out


def _related(path: str, secret_path: str) -> bool:
    """Whether a problem at ``path`` may quote the value at ``secret_path`` (same, or above)."""
    return secret_path == path or secret_path.startswith((f"{path}.", f"{path}[")) or not path


def _concerns(path: Path, envs: list[str], declared: list[str]) -> bool:
    """Whether an unresolved variable at ``path`` matters for the environments checked."""
    scoped = (len(path) >= 3 and path[:2] == ("spec", "environments")) or (
        len(path) >= 5 and path[:2] == ("spec", "targets") and path[3] == "bindings"
    )
    if not scoped:
        return True
    env_name = path[2] if path[1] == "environments" else path[4]
    return env_name in envs or env_name not in declared


__all__ = ["check", "format_path", "load"]
