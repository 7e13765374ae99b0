"""Private, crash-safe file writing shared by the local backend.

Everything the local backend stores can hold minors' personal data, so files are created 0600 and
directories 0700. Every write goes to a temporary file in the destination directory and is then
renamed over the target with :func:`os.replace`, so a kill -9 at any moment leaves either the old
file or the new one, never a torn mix.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700
# A temp file this old belongs to a writer that was killed, not to one still writing.
STALE_TEMP_SECONDS = 600

# A name we are willing to turn into one path component: no separators, no leading dot (which
# would also allow "." and ".."), nothing a shell or a Windows share would choke on.
_SAFE_COMPONENT = re.compile(r"[A-Za-z0-9@_+-][A-Za-z0-9@._+-]{0,199}")


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 directories and return it.

    Directories that already exist keep their mode: the user may have pointed us at a folder of
    their own, and silently tightening it would surprise them.
    """
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process won the race: fine
            directory.mkdir(mode=DIR_MODE)
        # mkdir's mode is filtered by the umask; chmod makes 0700 exact either way.
        os.chmod(directory, DIR_MODE)
    return path


def safe_component(name: str, what: str) -> str:
    """Return ``name`` if it can be used as one path component, else raise ValueError."""
    if not _SAFE_COMPONENT.fullmatch(name):
        raise ValueError(
            f"{what} {name!r} cannot name a local file: use letters, digits and @._+- "
            "(at most 200 characters, not starting with a dot)"
        )
    return name


def _fsync_dir(directory: Path) -> None:
    """Flush a directory entry change (a rename) to disk where the OS allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` atomically and privately: ``write`` fills a 0600 temp file, then rename.

    The temp file lives in the same directory so that :func:`os.replace` is a same-filesystem
    rename, which POSIX guarantees to be atomic.
    """
    ensure_private_dir(path.parent)
    _remove_stale_temps(path)
    # mkstemp creates the file 0600 with O_EXCL, so no other user can open it in between.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files of ``path`` left by a killed writer: they may hold personal data."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in path.parent.glob(f".{_glob_escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):  # gone already, or not ours to delete
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def _glob_escape(name: str) -> str:
    """Escape glob metacharacters so a file name matches only itself."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in name)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600."""
    atomic_write(path, lambda handle: handle.write(data))


def atomic_move(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target`` in one atomic step (same filesystem).

    Raises FileNotFoundError when ``source`` is gone, which callers use to detect that another
    run already moved it.
    """
    ensure_private_dir(target.parent)
    os.replace(source, target)
    _fsync_dir(target.parent)
    if source.parent != target.parent:
        _fsync_dir(source.parent)
