"""Phase 3 of dedup, *write*: carry out the plan, one task per sign task of an input.

Each task writes its part of ``kept/``, ``removed/`` and ``quarantine/`` into its sign folder;
``PartJoin`` makes the output file of each input from its parts as they come (a rename when
there is one). Kept lines are the input lines, byte for byte, re-read from the input by line number
(``splits.record_lines``; a file read whole as its one part). Output files are zstd frames
cut every ``frame_bytes`` of input, so their bytes do not depend on the split.

Removed-record layout (one JSON object per line in ``removed/*.jsonl.zst``, keys in this order)::

    {"reason":"exact"|"near"|"contaminated","dup_of":"<id>","similarity":0.8125,
     "file":"<input path>","line_number":12,"record":<the original line, verbatim>}

``record`` is the original input line embedded as is (it is a JSON object, so the whole line
is valid JSON, and nothing is re-encoded): parsing gives the record, and
``line[line.index(b',"record":') + 10 : -1]`` gives back its exact bytes (the sequence
``,"record":`` cannot occur earlier, inside the escaped strings before it). See
``removed_line()``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
import zstandard

from boostpack._jsonl import gather_two
from boostpack.deduplication.checks import excerpt
from boostpack.deduplication.plan import KEPT, REASONS, PlanReader
from boostpack.deduplication.store import IdStore
from boostpack.deduplication.workdir import (
    ZSTD_LEVEL,
    WorkDir,
    corrupt,
    file_stat,
    load_pickles,
    read_array,
    read_at,
)
from boostpack.errors import InvalidInput
from boostpack.ingestion.quarantine import QuarantineEntry
from boostpack.ingestion.splits import Lines, Split, record_lines, whole_part
from boostpack.runtime.atomic import atomic_write
from boostpack.runtime.gc_threshold import fewer_collections

_HEADS = [b'{"reason":"%s","dup_of":' % r.encode() for r in REASONS]  # by action code - 1


def removed_line(line: bytes) -> bytes:
    """The original input line inside one line of ``removed/*.jsonl.zst``, byte for byte."""
    return line[line.index(b',"record":') + 10 : -1]


@dataclass(frozen=True)
class WriteTask:
    """Phase 3 for the documents of one sign task (``split``: see ``SignTask``)."""

    index: int
    path: str
    work: WorkDir
    split: Split | None
    stat: tuple[int, int]  # the input's size and mtime when the run started
    line_base: int  # lines of the file before the task's split
    cuts: tuple[int, ...] = field(repr=False)  # task documents that start an output frame
    offsets: tuple[int, ...] = field(repr=False)  # doc offset per sign task (for dup_of ids)
    samples: tuple[int, ...] = ()  # documents whose text excerpt the report shows (checks)
    fields: tuple[str, ...] = ()  # the compared fields, for those excerpts


class _Renderer:
    """Output lines of a run of a task's documents, from the plan and the line numbers."""

    def __init__(self, task: WriteTask, plan: PlanReader, ids: IdStore) -> None:
        self.plan, self.ids, self.line_base = plan, ids, task.line_base
        self.base = base = task.offsets[task.index]
        self.samples = {d - base for d in task.samples}  # as task document numbers
        self.fields = task.fields
        self.excerpts: dict[str, str] = {}
        self.path = orjson.dumps(task.path)
        self.lines_path = task.work.task(task.index) / "lines.bin"
        try:
            self.line_nos = os.open(self.lines_path, os.O_RDONLY)
        except FileNotFoundError:
            raise corrupt(self.lines_path, "missing") from None

    def close(self) -> None:
        os.close(self.line_nos)

    def render(self, lines: Lines, first: int, kept: _Output, removed: _Output) -> None:
        """The output lines of documents ``first..`` (one per line of ``lines``), each with its
        ``\\n``, added to ``kept`` and ``removed``."""
        m = len(lines)
        for doc in self.samples.intersection(range(first, first + m)) if self.samples else ():
            self.excerpts[str(doc + self.base)] = excerpt(lines.line(doc - first), self.fields)
        act = self.plan.actions(first, m)
        keep = act == KEPT
        n_keep = int(np.count_nonzero(keep))
        if n_keep:  # copied in C straight into the output
            kept.count += n_keep
            kept.used += lines.join_into(keep, kept.room(lines.joined_size(keep)))
        if n_keep < m:
            gone = np.flatnonzero(~keep)
            self.removed(lines, first, gone, act[gone], removed)

    def removed(self, lines: Lines, first: int, gone: np.ndarray, act: np.ndarray,
                out: _Output) -> None:
        """The ``removed/`` lines of the documents ``first + gone`` (``act``: their actions),
        added to ``out``: seven parts a line, gathered in one C call (formatting each line
        in Python was ~5% of a run where most records are removed)."""
        m, k = len(lines), len(gone)
        dup_of = self.plan.dup_of(first, m)[gone]
        sim = self.plan.similarity(first, m)[gone]
        line_no = np.frombuffer(read_at(self.line_nos, 8 * m, 8 * first, self.lines_path),
                                dtype=np.uint64)[gone] + np.uint64(self.line_base)
        # The text between the values: a head per reason, a middle per similarity (they take
        # few values, k/num_perm, mostly 1.0), in one pool with the ids and line numbers.
        values, which = np.unique(sim, return_inverse=True)
        middles = [b',"similarity":%s,"file":%s,"line_number":' % (orjson.dumps(round(v, 4)), self.path)
                   for v in values.tolist()]
        texts = [*_HEADS, *middles, b',"record":', b"}\n"]
        ids, id_start, id_length = self.ids.packed(dup_of)
        digits, digit_start, digit_length = _decimal(line_no)
        text_length = np.array([len(t) for t in texts], dtype=np.int64)
        text_start = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(text_length[:-1], out=text_start[1:])
        pool = np.frombuffer(b"".join([*texts, ids.tobytes(), digits.tobytes()]), dtype=np.uint8)
        id_at, digit_at = int(text_length.sum()), int(text_length.sum()) + len(ids)
        head = act.astype(np.int64) - 1
        middle = len(_HEADS) + which.reshape(-1)
        record, end = len(texts) - 2, len(texts) - 1
        # The original line goes in verbatim as the last value: no re-encoding.
        start = np.stack([text_start[head], id_at + id_start, text_start[middle],
                          digit_at + digit_start, np.full(k, text_start[record]),
                          lines.start[gone], np.full(k, text_start[end])], axis=1)
        length = np.stack([text_length[head], id_length, text_length[middle], digit_length,
                           np.full(k, text_length[record]), lines.length[gone],
                           np.full(k, text_length[end])], axis=1)
        source = np.zeros((k, 7), dtype=np.uint8)
        source[:, 5] = 1  # the record, from the input; the rest from the pool
        size = int(length.sum())
        out.used += gather_two(pool, lines.data, source.reshape(-1), start.reshape(-1),
                               length.reshape(-1), out.room(size))
        out.count += k


def _decimal(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``numbers`` (uint64) in decimal, as ``%d`` writes them: ``(data, start, length)``, the
    digits of ``numbers[i]`` being ``data[start[i]:start[i] + length[i]]``."""
    powers = np.uint64(10) ** np.arange(19, -1, -1, dtype=np.uint64)
    digits = (numbers[:, None] // powers % np.uint64(10)).astype(np.uint8) + ord("0")
    length = np.maximum((numbers[:, None] >= powers).sum(axis=1), 1).astype(np.int64)
    return digits.reshape(-1), np.arange(len(numbers), dtype=np.int64) * 20 + 20 - length, length


class _Output:
    """One output (kept or removed) of a task: the content of its frame being made, in a
    buffer reused from frame to frame (fresh 16 MB buffers cost a page fault per 4 KB), and
    its record count."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.buf = np.empty(0, dtype=np.uint8)
        self.used = self.count = 0

    def room(self, size: int) -> np.ndarray:
        """``size`` bytes of the buffer after what it holds (grown if need be)."""
        need = self.used + size
        if need > len(self.buf):
            grown = np.empty(max(need, len(self.buf) * 3 // 2), dtype=np.uint8)
            grown[:self.used] = self.buf[:self.used]
            self.buf = grown
        return self.buf[self.used:need]

    def end(self, cctx: zstandard.ZstdCompressor) -> None:
        """Write what the buffer holds as one zstd frame (nothing when empty)."""
        if self.used:
            self.file.write(cctx.compress(self.buf[:self.used]))
            self.used = 0


def _write_quarantine(directory: Path, line_base: int) -> None:
    """``quarantine.jsonl`` from the entries phase 1 kept, with their lines made file-global."""
    with atomic_write(directory / "quarantine.jsonl") as fq:
        for entries in load_pickles(directory / "quarantine.pkl"):
            if not isinstance(entries, list) or not all(isinstance(q, QuarantineEntry) for q in entries):
                raise corrupt(directory / "quarantine.pkl", "holds something else than entries")
            for q in entries:
                q.line += line_base
            fq.write(b"".join(q.to_json() + b"\n" for q in entries))


def _write_records(task: WriteTask, n: int, renderer: _Renderer, kept: _Output,
                   removed: _Output) -> None:
    """Render the task's ``n`` documents, as re-read, into ``kept`` and ``removed``, ending a
    frame at each of the task's cuts."""
    cctx = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    d = task.work.task(task.index)
    cuts = iter(sorted({c for c in task.cuts if 0 < c < n}))
    cut = next(cuts, n)
    start = 0
    split = task.split if task.split is not None else whole_part(task.path)
    blocks = record_lines(task.path, split, read_array(d / "lines.bin", np.uint64, n))
    for lines in blocks:
        m = len(lines)
        if start + m > n:
            raise corrupt(d, f"more lines numbered for {task.path} than documents")
        lo = 0
        while lo < m:
            hi = min(m, cut - start)
            renderer.render(lines.part(lo, hi), start + lo, kept, removed)
            lo = hi
            if start + lo == cut:
                kept.end(cctx)
                removed.end(cctx)
                cut = next(cuts, n)
        start += m
    if start != n:
        raise corrupt(d, f"fewer lines of {task.path} found than documents")
    kept.end(cctx)
    removed.end(cctx)


@fewer_collections()
def write_task(task: WriteTask) -> dict[str, Any]:
    """Write the ``kept``/``removed``/``quarantine`` parts of one sign task into its folder
    (``PartJoin`` joins the parts of a file); return the counts.

    A zstd frame per output cell (``SignResult.cuts``): a file split into tasks gets the same
    frames, hence the same bytes, as when read whole, and readers of the outputs can split
    them at frame boundaries in turn (16 MB frames: +0.04% size on the qa_en benchmark data).
    """
    if file_stat(task.path) != task.stat:
        raise InvalidInput(f"{task.path}: input changed during the run; rerun to start over")
    d = task.work.task(task.index)
    with contextlib.ExitStack() as stack:
        plan = PlanReader(task.work.plan(task.index))
        stack.callback(plan.close)
        ids = IdStore(task.work, task.offsets)
        stack.callback(ids.close)
        renderer = _Renderer(task, plan, ids)
        stack.callback(renderer.close)
        with atomic_write(d / "kept.zst") as fk, atomic_write(d / "removed.zst") as fr:
            kept, removed = _Output(fk), _Output(fr)
            _write_records(task, plan.n, renderer, kept, removed)
        _write_quarantine(d, task.line_base)
    return {"kept": kept.count, "removed": removed.count, "samples": renderer.excerpts}


class PartJoin:
    """One output file made from the parts of its input's tasks, each appended as soon as it
    is written (``add``, in task order), so the copying overlaps the write tasks still running
    rather than following them all. ``empty``: what an output without content holds (None: no
    file). One part is renamed into place; a rerun after that finds it gone and ``dest`` there.
    The file is whole (renamed from its temp) after the last part; leaving the ``with`` block on
    an error before that removes the temp file."""

    def __init__(self, dest: Path, parts: int, empty: bytes | None) -> None:
        self.dest, self.left, self.empty = dest, parts, empty
        self.single = parts == 1
        self._open = contextlib.ExitStack()  # the temp output, from the first part to the last
        self._out: BinaryIO | None = None

    def __enter__(self) -> PartJoin:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._open.__exit__(*exc)

    def add(self, part: Path) -> None:
        self.left -= 1
        if self.single:
            if not part.exists() and self.dest.exists():
                return
            if part.stat().st_size:
                self.dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(part, self.dest)
            elif self.empty is not None:
                with atomic_write(self.dest) as f:
                    f.write(self.empty)
            return
        if part.stat().st_size:
            if self._out is None:
                self._out = self._open.enter_context(atomic_write(self.dest))
            with open(part, "rb") as src:
                shutil.copyfileobj(src, self._out, 4 << 20)
        if self.left:
            return
        if self._out is not None:
            self._open.close()  # fsync and rename
        elif self.empty is not None:
            with atomic_write(self.dest) as f:
                f.write(self.empty)


def output_name(index: int, path: str) -> str:
    """The name of an input's output files (``kept/<name>.jsonl.zst``...): its number among
    references + inputs, so two inputs of one name stay apart, and its name without suffixes."""
    base = os.path.basename(path)
    for suffix in (".zst", ".gz", ".parquet", ".jsonl", ".ndjson", ".json"):
        base = base.removesuffix(suffix)
    return f"{index:05d}-{base}"


def empty_output() -> bytes:
    """What an output ``.jsonl.zst`` without records holds: one empty zstd frame."""
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(b"")

