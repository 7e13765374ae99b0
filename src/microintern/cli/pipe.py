"""stdout that survives its reader going away (``microintern status | head -3``)."""

from __future__ import annotations

import io
import os
import sys
from typing import Any


class _QuietWhenClosed(io.RawIOBase):
    """stdout's file descriptor, dropping what is written once its reader has gone.

    ``microintern status | head -3`` closes the pipe early; the command still finishes its
    work (a send piped into ``head`` must not stop between a draft and its record) and exits
    as it would have, with no BrokenPipeError.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.gone = False

    def writable(self) -> bool:
        """Always: this is an output stream."""
        return True

    def fileno(self) -> int:
        """The wrapped descriptor (for ``isatty`` and terminal size)."""
        return self._fd

    def isatty(self) -> bool:
        """Whether stdout is a terminal (the progress bar asks)."""
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        """Write to the descriptor; once the reader is gone, report everything as written."""
        if not self.gone:
            try:
                return os.write(self._fd, data)
            except BrokenPipeError:
                self.gone = True
        return len(data)


def quiet_on_closed_pipe() -> None:
    """Make ``sys.stdout`` drop output after its pipe closes instead of raising BrokenPipeError."""
    stream = sys.stdout
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (tests capture it): nothing to protect
    stream.flush()
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_QuietWhenClosed(fd)),
                                  encoding=stream.encoding, errors=stream.errors,
                                  line_buffering=stream.line_buffering)
