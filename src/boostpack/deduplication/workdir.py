"""The dedup work directory, ``OUTDIR/.work``: where each phase leaves its files for the next.

Layout::

    run.json                  what a resumed run must share with the interrupted one
    sign/<task>/              phase 1 files of one sign task (see deduplication.sign)
    boilerplate.npy           the shingle hashes signatures leave out (deduplication.boilerplate)
    ngram/                    the references' n-gram index (with decontam_ngram)
    done-sign/ done-bands/ done-write/    task completion markers (see runtime.executor)
    pairs/member.bin          bool[documents]: who takes part in LSH
    pairs/<band>.bin          the accepted pairs of one band
    pairs/roots.bin           cluster roots after the earlier rounds of band tasks
    pairs/qmember.bin, pairs/q<band>.bin   the same for the question-key bands, through which
                              references without an answer are matched
    spill/                    sorted runs of the pair finders, past their memory budget
    plan/<task>.bin           the decision about each document of one sign task
    plan/done.json            phase 2's counts, written last: phase 2 is done
    sign/<task>/kept.zst ...  phase 3's parts of the outputs, joined into OUTDIR by dedup()

Once ``plan/done.json`` is written, ``drop_cluster_files`` deletes what only phase 2 reads
(signatures, item keys, pairs...), so scratch does not hold them and phase 3's parts at once.

Every file is written whole (temp + rename), so a kill leaves finished files or none. Files read
back get a structural check (size against the document count, readable framing): a damaged
work directory raises ``CorruptData``, never a wrong result or a raw numpy/zstd/pickle error.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from boostpack.errors import CorruptData
from boostpack.runtime.atomic import atomic_write, sweep_temp_files

WORK_DIR = ".work"
# zstd level of the saved raw lines and of the output parts: level 1 runs at 300 MB/s per core
# on QA JSON at ratio 0.25, against 180 MB/s and 0.23 at level 3.
ZSTD_LEVEL = 1
# The output folders a fresh start clears besides the work directory.
OUTPUT_DIRS = ("kept", "removed", "quarantine")


@dataclass(frozen=True)
class WorkDir:
    """Paths inside one run's work directory (a plain value: tasks carry it to workers)."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)

    def task(self, index: int) -> Path:
        """The folder of sign task ``index`` (references first, then inputs)."""
        return self.root / "sign" / f"{index:05d}"

    def markers(self, phase: str) -> Path:
        return self.root / f"done-{phase}"

    @property
    def boilerplate(self) -> Path:
        return self.root / "boilerplate.npy"

    @property
    def ngram_index(self) -> Path:
        return self.root / "ngram"

    def members(self, source: str = "bands") -> Path:
        """Who takes part in LSH over the band keys of ``source`` (``bands`` or ``qbands``)."""
        return self.root / "pairs" / ("member.bin" if source == "bands" else "qmember.bin")

    @property
    def roots(self) -> Path:
        """Every document's cluster root after the earlier rounds of band tasks (uint32[n])."""
        return self.root / "pairs" / "roots.bin"

    def band_pairs(self, band: int, source: str = "bands") -> Path:
        return self.root / "pairs" / f"{'' if source == 'bands' else 'q'}{band:03d}.bin"

    def spill(self, band: int | None = None, source: str = "bands") -> Path:
        if band is None:
            return self.root / "spill"
        return self.root / "spill" / f"{'band' if source == 'bands' else 'qband'}{band:03d}"

    def plan(self, index: int) -> Path:
        return self.root / "plan" / f"{index:05d}.bin"

    @property
    def plan_done(self) -> Path:
        return self.root / "plan" / "done.json"


# The sign task files that only phase 2 reads (deduplication.sign).
CLUSTER_ONLY = ("sig.bin", "bands.bin", "key.bin", "exact.bin", "flags.bin", "score.bin", "ngrams.bin",
                "ngram_doc.bin", "ngram_ref.bin", "ngram_sim.bin")


def drop_cluster_files(work: WorkDir, tasks: int) -> None:
    """Delete the files phase 2 alone needs, once its plan is written (a resumed run skips
    phase 2 then; running this again is harmless). The band markers go before the pair files,
    so that a marker never outlives the file it vouches for."""
    for phase in ("bands", "qbands"):
        shutil.rmtree(work.markers(phase), ignore_errors=True)
    for name in ("pairs", "spill", "ngram"):
        shutil.rmtree(work.root / name, ignore_errors=True)
    for t in range(tasks):
        for name in CLUSTER_ONLY:
            with contextlib.suppress(FileNotFoundError):
                (work.task(t) / name).unlink()


def scratch_bytes(work: WorkDir) -> int:
    """The bytes of the files in the work directory now (a run reports its largest)."""
    total = 0
    for root, _, files in os.walk(work.root):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(root, name)).st_size
    return total


def corrupt(path: Path | str, what: str) -> CorruptData:
    return CorruptData(f"{path}: {what} (damaged dedup work file; delete the output directory "
                       "to start over)")


def file_stat(path: str) -> tuple[int, int]:
    """(size, mtime in ns): what says an input is unchanged since the run started."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def fingerprint(params: dict[str, Any], inputs: list[str], against: list[str],
                split_bytes: int) -> bytes:
    """What a resumed run must share with the interrupted one (the split decides the tasks)."""
    def files(paths: list[str]) -> list[Any]:
        return [[p, *file_stat(p)] for p in paths]

    return orjson.dumps({"config": params, "inputs": files(inputs), "against": files(against),
                         "split_bytes": split_bytes}, option=orjson.OPT_SORT_KEYS)


def prepare(out: Path, run: bytes) -> WorkDir:
    """Start or resume: keep the work of an interrupted run with the same fingerprint ``run``,
    clear everything else (and any old ``report.json``: the result is not final until rewritten)."""
    work = out / WORK_DIR
    with contextlib.suppress(FileNotFoundError):
        (out / "report.json").unlink()
    try:
        same = (work / "run.json").read_bytes() == run
    except FileNotFoundError:
        same = False
    if not same:
        for name in (WORK_DIR, *OUTPUT_DIRS):
            shutil.rmtree(out / name, ignore_errors=True)
        with atomic_write(work / "run.json") as f:
            f.write(run)
    else:
        sweep_temp_files(out)
    return WorkDir(str(work))


def remove(out: Path) -> None:
    shutil.rmtree(out / WORK_DIR, ignore_errors=True)


def read_json(path: Path) -> Any:
    """A JSON work file, or None when it is not there (yet)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise corrupt(path, f"not JSON ({err})") from None


def read_array(path: Path, dtype: Any, count: int | None = None) -> np.ndarray:
    """``dtype[count]`` from a flat binary file that must hold exactly that many items (None:
    any whole number of them)."""
    dtype = np.dtype(dtype)
    size = _size(path)
    if count is None and size % dtype.itemsize:
        raise corrupt(path, f"{size} bytes, not a whole number of {dtype.itemsize}-byte items")
    if count is not None and size != count * dtype.itemsize:
        raise corrupt(path, f"{size} bytes where {count} x {dtype.itemsize} were written")
    return np.fromfile(path, dtype=dtype)


def map_array(path: Path, dtype: Any, shape: tuple[int, int]) -> tuple[mmap.mmap, np.ndarray]:
    """A read-only memory map of ``dtype[shape]`` and the array over it (close the map after
    dropping the array). ``shape[0]`` must be positive: an empty file cannot be mapped."""
    dtype = np.dtype(dtype)
    size = _size(path)
    if size != shape[0] * shape[1] * dtype.itemsize:
        raise corrupt(path, f"{size} bytes where {shape[0]} x {shape[1]} x {dtype.itemsize} "
                      "were written")
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return m, np.frombuffer(m, dtype=dtype).reshape(shape)


def read_at(fd: int, size: int, offset: int, path: Path) -> bytes:
    """Exactly ``size`` bytes at ``offset`` of an open work file."""
    data = os.pread(fd, size, offset)
    if len(data) != size:
        raise corrupt(path, f"ends at {offset + len(data)}, reading {size} bytes at {offset}")
    return data


def dump_pickles(f: BinaryIO, obj: Any) -> None:
    pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def load_pickles(path: Path) -> Iterator[Any]:
    """The objects ``dump_pickles`` appended to ``path``, in order."""
    size = _size(path)
    with open(path, "rb") as f:
        while f.tell() < size:
            try:
                obj = pickle.load(f)
            except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
                    TypeError, ValueError) as err:
                raise corrupt(path, f"unreadable ({type(err).__name__}: {err})") from None
            yield obj


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise corrupt(path, "missing") from None
