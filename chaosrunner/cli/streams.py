"""Standard output and error that end quietly when their reader goes away.

``chaosrunner schema | head -c 1`` closes the pipe after one byte. Python then raises
``BrokenPipeError`` on the next write or flush, and again at exit ("Exception ignored ...").
Dying by SIGPIPE, as C tools do, is not an option: during ``run`` it would skip rollback. So
while a command runs, ``sys.stdout`` and ``sys.stderr`` are wrapped: the first broken-pipe error
points the file descriptor at ``/dev/null`` and every later write goes nowhere, silently. The
command carries on and its exit code means what it always means (0 to 4): nobody reads the
output, but a CI gate still reads the code.
"""

from __future__ import annotations

import io
import os
import sys
from typing import Any, TextIO, cast


class QuietStream:
    """A text stream proxy that swallows the broken pipe once, then writes to nothing."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._to_devnull()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._to_devnull()

    def _to_devnull(self) -> None:
        self.broken = True
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return  # not a real file (a test's capture): nothing is buffered below us
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)  # what is still buffered is flushed there at exit
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _devnull(fd: int) -> TextIO:
    """A stream on ``fd`` pointed at /dev/null, so no file we open later lands on fd 1 or 2."""
    try:
        os.fstat(fd)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)
    return open(fd, "w", encoding="utf-8", closefd=False)  # process lifetime


class QuietStreams:
    """Install :class:`QuietStream` over ``sys.stdout`` and ``sys.stderr``; restore afterwards."""

    def __init__(self) -> None:
        self._saved = (sys.stdout, sys.stderr)
        # A descriptor closed before we started (``chaosrunner schema >&-``) leaves None here.
        self.stdout = QuietStream(sys.stdout or _devnull(1))
        self.stderr = QuietStream(sys.stderr or _devnull(2))

    @classmethod
    def install(cls) -> QuietStreams:
        streams = cls()
        sys.stdout = cast(TextIO, streams.stdout)
        sys.stderr = cast(TextIO, streams.stderr)
        return streams

    def restore(self) -> None:
        """Flush through the guards (a broken pipe found now is swallowed too), then unwrap."""
        self.stdout.flush()
        self.stderr.flush()
        sys.stdout, sys.stderr = self._saved
