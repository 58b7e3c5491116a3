"""One writer per output directory, and no finished result replaced by accident.

Every stage enters ``claim(out, stage=..., fingerprint=...)`` before it writes anything:

1. **Lock.** ``OUTDIR/.boostpack.lock`` is locked with ``fcntl.flock``; a second run into the
   same directory fails at once (``OutputInUse``, naming the holder's pid). The kernel drops
   the lock when its process dies, so a killed run never leaves a stale lock; the file is
   removed on release. Two dedup runs into one directory once wrote a finished-looking
   ``report.json`` with wrong counts, and two pack runs overwrote a finished dataset's shards.
   The descriptor is not inherited (Python opens files close-on-exec and the worker
   processes are spawned), so workers never hold or wait for their parent's lock.
2. **Ownership.** ``OUTDIR/.boostpack.json`` records the stage that writes the directory and
   the fingerprint of that run's inputs and options. A directory is the stage's when it is
   empty, or holds only the names the stage writes (``StageOutput.names``) under its own
   record (or no record: outputs of versions without one). Anything else is refused, even
   with ``overwrite``: another stage's output, or files boostpack did not write (a user's
   folder is never emptied).
3. **Finished results.** A finished output (its ``finished`` file, written last, is there) is
   replaced only when it was made from the same inputs and options (the rerun writes the same
   bytes) or with ``overwrite=True``. An unfinished one is resumed when the stage can
   (``resumes``) and the fingerprint matches, else cleared and restarted.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from boostpack.errors import InvalidInput, OutputInUse
from boostpack.runtime.atomic import TMP_PREFIX, atomic_write

LOCK_NAME = ".boostpack.lock"
RECORD_NAME = ".boostpack.json"
# How long a second run waits for the holder to write its pid after taking the lock (a few
# microseconds in practice) before saying "pid unknown".
_PID_WAIT_S = 0.5


@dataclass(frozen=True)
class StageOutput:
    """What one stage writes into its output directory.

    ``stage``: its name in messages and in the record. ``finished``: the file it writes last;
    present means a finished result. ``names``: glob patterns of every top-level entry it
    writes (temp files, ``.tmp-*``, always count as its own). ``resumes``: an unfinished run of
    the same fingerprint is left in place for the stage to resume; otherwise it is cleared.
    """

    stage: str
    finished: str
    names: tuple[str, ...]
    resumes: bool = False

    def owns(self, name: str) -> bool:
        return name.startswith(TMP_PREFIX) or any(fnmatch.fnmatchcase(name, p) for p in self.names)


def file_states(paths: Iterable[str | os.PathLike[str]]) -> list[list[Any]]:
    """``[absolute path, size, mtime in ns]`` per file: what says an input is unchanged (the
    test ``make`` uses; hashing every input would cost a pass over the data)."""
    states = []
    for p in paths:
        st = os.stat(p)
        states.append([os.path.abspath(p), st.st_size, st.st_mtime_ns])
    return states


@contextlib.contextmanager
def claim(path: str | os.PathLike[str], *, stage: StageOutput, fingerprint: Any,
          overwrite: bool = False) -> Iterator[bool]:
    """Lock the output directory ``path`` (created when missing) and make it ready for
    ``stage``; yield whether the stage should resume an unfinished run (else the directory
    holds nothing of the stage's). The lock is held until the block ends.

    ``fingerprint``: a JSON-ready description of the run's inputs and options (``file_states``
    of its inputs, its settings), everything the output depends on and nothing it does not
    (worker counts, memory budgets). Raises ``OutputInUse`` when another run holds the
    directory, ``InvalidInput`` when it is not the stage's to write (see the module docstring).
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out}: output exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    fd = _lock(out)
    try:
        yield _prepare(out, stage, _canonical(fingerprint), overwrite)
    finally:
        _unlock(out, fd)


def _lock(out: Path) -> int:
    """An exclusive lock on ``out``'s lock file, as an open descriptor holding it."""
    path = out / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder_pid(fd)
            os.close(fd)
            raise OutputInUse(f"{out} is in use by another boostpack run (pid {holder})") from None
        except OSError as err:  # e.g. ENOLCK: a file system without locks
            os.close(fd)
            raise OSError(err.errno, f"cannot lock: {err.strerror}", str(path)) from None
        # A holder that released between our open() and flock() removed the file we opened:
        # our lock is then on an orphaned inode, and we must lock the current file instead.
        st = os.fstat(fd)
        with contextlib.suppress(FileNotFoundError):
            now = os.stat(path)
            if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
                break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _holder_pid(fd: int) -> str:
    """The pid the lock holder wrote into the lock file ("unknown" if it has not yet)."""
    deadline = time.monotonic() + _PID_WAIT_S
    while True:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit() or time.monotonic() > deadline:
            return text if text.isdigit() else "unknown"
        time.sleep(0.01)


def _unlock(out: Path, fd: int) -> None:
    # Removed while still locked: a run waiting on this inode sees it is gone and retries.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(out / LOCK_NAME)
    os.close(fd)


def _canonical(fingerprint: Any) -> Any:
    """``fingerprint`` as it reads back from the record (tuples become lists, paths strings)."""
    return orjson.loads(orjson.dumps(fingerprint, default=str,
                                     option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS))


def _read_record(out: Path) -> dict[str, Any] | None:
    """The directory's record, or None when missing or unreadable (then the names decide)."""
    try:
        record = orjson.loads((out / RECORD_NAME).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("stage"), str) else None


def _prepare(out: Path, stage: StageOutput, fingerprint: Any, overwrite: bool) -> bool:
    """Check ``out`` may be written by ``stage``; clear it unless resuming; return resuming."""
    record = _read_record(out)
    entries = sorted(p for p in out.iterdir() if p.name not in (LOCK_NAME, RECORD_NAME))
    if record is not None and record["stage"] != stage.stage:
        raise InvalidInput(f"{out} holds a boostpack {record['stage']} output; {stage.stage} "
                           "will not replace another stage's output (choose another directory)")
    foreign = [p.name for p in entries if not stage.owns(p.name)]
    if foreign:
        raise InvalidInput(f"{out} holds files boostpack {stage.stage} did not write "
                           f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
                           "choose an empty or new output directory")
    same = record is not None and record.get("fingerprint") == fingerprint
    finished = (out / stage.finished).exists()
    if finished and not same and not overwrite:
        why = (_difference(record.get("fingerprint"), fingerprint) if record is not None
               else "inputs and options not recorded")
        raise InvalidInput(f"{out} holds a finished {stage.stage} result made from other inputs "
                           f"or options ({why}); pass --overwrite (overwrite=True) to replace it")
    if same and not finished and stage.resumes:
        return True
    _clear(out, stage, entries)
    with atomic_write(out / RECORD_NAME) as f:
        f.write(orjson.dumps({"stage": stage.stage, "fingerprint": fingerprint},
                             option=orjson.OPT_INDENT_2) + b"\n")
    return False


def _difference(old: Any, new: Any) -> str:
    """Which top-level part of two fingerprints differs, for the refusal message."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if keys:
            return f"changed: {', '.join(keys)}"
    return "changed"


def _clear(out: Path, stage: StageOutput, entries: list[Path]) -> None:
    """Remove the stage's entries: the finished file first, so a kill halfway never leaves
    something that looks finished, then the record (whose run is gone), then the rest."""
    (out / stage.finished).unlink(missing_ok=True)
    (out / RECORD_NAME).unlink(missing_ok=True)
    for p in entries:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
