"""The one error hierarchy of chaosrunner.

Every failure a caller can act on is one of these; third-party exceptions are converted once,
at the adapter that called the library, with the cause chained (``raise X(...) from exc``).
The CLI catches :class:`ChaosRunnerError` and maps it to an exit code; the library never exits.

::

    ChaosRunnerError
    ├── ExperimentError        invalid input: carries every Problem found          (exit 4)
    ├── PreflightError         a preflight check failed; nothing was injected     (exit 4)
    ├── BackendError           an external system failed or misbehaved
    │   ├── MetricsError       Prometheus unreachable or answered badly
    │   ├── DriverError        a fault driver could not do its job
    │   │   ├── InjectionError a fault could not be created or confirmed
    │   │   └── RemovalError   a fault could not be removed or its removal confirmed
    │   └── ApiError           the Kubernetes API answered with an error status
    │       ├── NotFound       404: the object (or the kind, or the pod) is not there
    │       └── Conflict       409: it already exists, or it changed since we read it
    ├── LabError               the embedded local lab could not start, stop or report
    ├── EvidenceError          captured evidence (a goroutine profile) could not be read
    └── RunInterrupted         SIGINT or SIGTERM arrived during a run
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located precisely."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ChaosRunnerError(Exception):
    """Root of every error chaosrunner raises on purpose."""


class ExperimentError(ChaosRunnerError):
    """The experiment file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PreflightError(ChaosRunnerError):
    """A preflight check failed: the run stops before anything is injected."""


class BackendError(ChaosRunnerError):
    """An external system (metrics source, fault backend) failed or misbehaved."""


class MetricsError(BackendError):
    """The metrics source could not be reached or answered badly."""


class DriverError(BackendError):
    """A fault driver could not do what was asked of it."""


class InjectionError(DriverError):
    """A fault could not be created, or its activity could not be confirmed."""


class RemovalError(DriverError):
    """A fault could not be removed, or its removal could not be confirmed."""


class ApiError(BackendError):
    """The Kubernetes API answered with an error status."""

    def __init__(self, message: str, *, status: int = 0, reason: str = "") -> None:
        self.status = status
        self.reason = reason
        super().__init__(message)


class NotFound(ApiError):
    """404: the object, the kind (its CRD is not installed) or the pod is not there."""


class Conflict(ApiError):
    """409: the object already exists, or a precondition (uid, resourceVersion) failed."""


class LabError(ChaosRunnerError):
    """The embedded local lab could not start, stop or report."""


class EvidenceError(ChaosRunnerError):
    """A captured piece of evidence (e.g. a goroutine profile) could not be read."""


class RunInterrupted(ChaosRunnerError):
    """A signal asked the run to stop; rollback still runs."""

    def __init__(self, signal_name: str) -> None:
        self.signal_name = signal_name
        super().__init__(f"interrupted by {signal_name}")
