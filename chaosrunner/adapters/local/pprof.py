"""Goroutine profiles of a local target, read from its ``pprof.url`` (Go's net/http/pprof).

``GET <url>/goroutine?debug=1``: the text format that aggregates goroutines by stack. Standard
library only; a refused connection, a timeout or a non-200 answer is an EvidenceError saying so.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence

from chaosrunner.core.errors import EvidenceError
from chaosrunner.core.model import Binding
from chaosrunner.core.ports import ProfileText

#: At most this much of a profile is read (a leak of 100k goroutines on one stack is one line).
MAX_BYTES = 32 * 1024 * 1024


class HttpProfileFetcher:
    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    def goroutines(self, binding: Binding) -> Sequence[ProfileText]:
        part = binding.need("pprof", binding.pprof)
        if part.url is None:
            raise EvidenceError(f"target {binding.target!r}: pprof has no url")
        url = f"{part.url.rstrip('/')}/goroutine?debug=1"
        if not url.startswith(("http://", "https://")):
            raise EvidenceError(f"refusing {url!r}: expected an http(s) URL")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(MAX_BYTES)
        except urllib.error.HTTPError as exc:
            raise EvidenceError(f"GET {url}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise EvidenceError(f"GET {url}: {getattr(exc, 'reason', exc)}") from exc
        return (ProfileText(url, raw.decode("utf-8", errors="replace")),)
