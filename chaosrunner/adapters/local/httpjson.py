"""A tiny JSON-over-HTTP client for local fault backends (Toxiproxy, the leak hook).

Standard library only; connection failures become DriverError once, here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from chaosrunner.core.errors import DriverError


def call(method: str, url: str, body: Any = None, timeout: float = 5.0) -> tuple[int, Any]:
    if not url.startswith(("http://", "https://")):
        raise DriverError(f"refusing {url!r}: expected an http(s) URL")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DriverError(f"{method} {url}: {reason}") from exc
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")
