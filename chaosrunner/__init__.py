"""chaosrunner: chaos experiments that never leave a fault behind and never report a false pass.

The public surface is small and re-exported here; everything else is private to its layer.
"""

from chaosrunner.core.errors import (
    ApiError,
    BackendError,
    ChaosRunnerError,
    Conflict,
    DriverError,
    EvidenceError,
    ExperimentError,
    InjectionError,
    LabError,
    MetricsError,
    NotFound,
    PreflightError,
    Problem,
    RemovalError,
    RunInterrupted,
)

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "BackendError",
    "ChaosRunnerError",
    "Conflict",
    "DriverError",
    "EvidenceError",
    "ExperimentError",
    "InjectionError",
    "LabError",
    "MetricsError",
    "NotFound",
    "PreflightError",
    "Problem",
    "RemovalError",
    "RunInterrupted",
    "__version__",
]
