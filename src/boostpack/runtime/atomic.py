"""Crash-safe output: write to a temp name in the target directory, fsync, then rename.

A reader therefore sees either no file or the whole file, never a half-written one that looks
complete. Temp names start with ``.tmp-`` so a resumed run can sweep leftovers. A full disk is
reported with the name of the file being written (``naming_output``).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

TMP_PREFIX = ".tmp-"
# Errors only writing produces (no space, over quota, over RLIMIT_FSIZE): they belong to the
# file being written.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files 0600; outputs are shared data, so give them the mode open() would.
_FILE_MODE = 0o666 & ~_current_umask()


@contextlib.contextmanager
def naming_output(path: str | os.PathLike[str]) -> Iterator[None]:
    """Give a write error raised in the block (out of space, over quota, file too large)
    ``path`` as its file name: Python's write errors carry none, and "[Errno 28] No space left
    on device" alone does not say which disk filled up."""
    try:
        yield
    except OSError as err:
        if err.errno in _WRITE_ERRNOS and err.filename is None:
            raise OSError(err.errno, err.strerror, os.fspath(path)) from err
        raise


class _OutputFile(io.FileIO):
    """The raw file under ``atomic_write``'s buffer: its write errors name ``path``, wherever
    the write is made from (a writer holding the file beyond the with-block, or several
    files written under one ``ExitStack``, where the error would reach every block)."""

    def __init__(self, fd: int, path: Path) -> None:
        super().__init__(fd, "wb")
        self.path = path

    def write(self, data: Any) -> int | None:
        with naming_output(self.path):
            return super().write(data)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temp file beside ``path`` (``mode`` ``"wb"`` or ``"w"``); on clean exit fsync
    and rename it over ``path``."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)
        raw = _OutputFile(fd, path)
        buffered = io.BufferedWriter(raw)
        with buffered if mode == "wb" else io.TextIOWrapper(buffered) as f:
            yield f
            f.flush()
            with naming_output(path):
                os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def sweep_temp_files(directory: str | os.PathLike[str]) -> int:
    """Delete temp files a crashed run left in ``directory`` (recursively); return how many."""
    removed = 0
    for p in Path(directory).rglob(TMP_PREFIX + "*"):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed += 1
    return removed
