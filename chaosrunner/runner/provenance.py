"""What a run records about itself so a reader can trust and reproduce it (issue #11).

The version, the experiment file's path and SHA-256, the resolved variables (secret values
masked), the command line (secret values masked there too), the environment and its driver, the
lab's profile when the run reads the embedded lab's Prometheus, the host and user, and the
local UTC offset, so the journal's start and end can be written with their date and time zone.
"""

from __future__ import annotations

import getpass
import hashlib
import socket
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from chaosrunner import __version__, lab
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.evidence import SECRET_MASK, Provenance
from chaosrunner.core.model import DriverKind, Experiment


def file_sha256(path: str) -> str:
    """The file's SHA-256 in hex, or "" when it cannot be read (e.g. the experiment was text)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _lab_profile(experiment: Experiment) -> str | None:
    """The lab's profile when this run reads the running lab's Prometheus, else None."""
    if experiment.env.driver is not DriverKind.LOCAL:
        return None
    try:
        state = lab.status()
    except (ChaosRunnerError, OSError):
        return None
    uses_lab = experiment.env.prometheus.url.rstrip("/") == state.ports.prometheus_url
    return (state.profile or "default") if state.running and uses_lab else None


def masked_argv(argv: Sequence[str], secrets: frozenset[str]) -> tuple[str, ...]:
    """The command line with every secret value (wherever it appears) replaced by ``***``."""
    out = []
    for arg in argv:
        text = arg
        for secret in sorted(secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, SECRET_MASK)
        out.append(text)
    return tuple(out)


def provenance_of(experiment: Experiment, argv: Sequence[str] | None = None) -> Provenance:
    offset = datetime.now().astimezone().utcoffset()
    return Provenance(
        version=__version__,
        experiment_path=str(Path(experiment.source).resolve()) if experiment.source else "",
        experiment_sha256=file_sha256(experiment.source),
        variables=experiment.variables,
        command_line=masked_argv(sys.argv if argv is None else argv, experiment.secrets),
        env=experiment.env.name,
        driver=experiment.env.driver.value,
        host=socket.gethostname(),
        user=_user(),
        utc_offset_seconds=int(offset.total_seconds()) if offset is not None else 0,
        lab_profile=_lab_profile(experiment),
    )
