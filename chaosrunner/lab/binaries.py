"""Finding the lab's executables, with a message that says how to get a missing one.

The Go binaries are built into the repository's git-ignored ``.cache/bin`` by
``scripts/build-go.sh``; Redis and Prometheus come from Debian packages. ``$CHAOSRUNNER_LAB_BIN``
overrides both, for an installed chaosrunner that has no repository next to it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from chaosrunner.core.errors import LabError

REPO = Path(__file__).resolve().parents[2]
"""The checkout holding the chaosrunner package (its ``.cache/bin`` has the Go binaries)."""

_HINTS = {
    "redis-server": "install it: `apt-get install redis-server`",
    "prometheus": "install it: `apt-get install prometheus`",
}
_GO_HINT = "build it: run `bash scripts/build-go.sh` in the chaosrunner repository"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_binary(name: str) -> Path:
    """``$CHAOSRUNNER_LAB_BIN/<name>``, then ``<repo>/.cache/bin/<name>``, then ``PATH``."""
    candidates = []
    explicit = os.environ.get("CHAOSRUNNER_LAB_BIN")
    if explicit:
        candidates.append(Path(explicit) / name)
    candidates.append(REPO / ".cache" / "bin" / name)
    for path in candidates:
        if _executable(path):
            return path
    found = shutil.which(name)
    if found:
        return Path(found)
    looked = ", ".join(str(p) for p in candidates)
    hint = _HINTS.get(name, _GO_HINT)
    raise LabError(f"lab binary {name!r} not found (looked in {looked} and PATH); {hint}")
