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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
import zstandard

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
from boostpack.ingestion.splits import Split, record_lines, whole_part
from boostpack.runtime.atomic import atomic_write
from boostpack.runtime.gc_threshold import fewer_collections

_REASON_BYTES = {i + 1: r.encode() for i, r in enumerate(REASONS)}
_RENDER_LINES = 8192  # lines rendered at a time, as many as phase 1 reads per batch


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

    def render(self, lines: list[bytes], first: int) -> tuple[int, bytes, int, bytes]:
        """(count, lines) kept and (count, lines) removed, each line with its ``\\n``, of
        documents ``first..`` (one per line of ``lines``)."""
        m = len(lines)
        for doc in self.samples.intersection(range(first, first + m)) if self.samples else ():
            self.excerpts[str(doc + self.base)] = excerpt(lines[doc - first], self.fields)
        act = self.plan.actions(first, m)
        keep = np.flatnonzero(act == KEPT).tolist()
        kept = b"\n".join([*[lines[i] for i in keep], b""]) if keep else b""  # one copy
        gone = np.flatnonzero(act != KEPT)
        if not len(gone):
            return len(keep), kept, 0, b""
        dup_of = self.plan.dup_of(first, m)
        sim = self.plan.similarity(first, m)
        line_no = np.frombuffer(read_at(self.line_nos, 8 * m, 8 * first, self.lines_path),
                                dtype=np.uint64) + self.line_base
        # Similarities take few values (k/num_perm, mostly 1.0): format each distinct one once.
        values, which = np.unique(sim[gone], return_inverse=True)
        text = [orjson.dumps(round(v, 4)) for v in values.tolist()]
        # The original line goes in verbatim as the last value: no re-encoding.
        removed = b"".join([
            b'{"reason":"%s","dup_of":%s,"similarity":%s,"file":%s,"line_number":%d,'
            b'"record":%s}\n' % (_REASON_BYTES[reason], dup_id, text[s], self.path, number, lines[i])
            for i, reason, dup_id, s, number in zip(
                gone.tolist(), act[gone].tolist(), self.ids.json_many(dup_of[gone]),
                which.reshape(-1).tolist(), line_no[gone].tolist(), strict=True)])
        return len(keep), kept, len(gone), removed


class _Frames:
    """The kept and removed parts of a task, a zstd frame per output cell (``end``)."""

    def __init__(self, kept: BinaryIO, removed: BinaryIO) -> None:
        self.files = (kept, removed)
        self.pending: tuple[list[bytes], list[bytes]] = ([], [])
        self.counts = [0, 0]
        self.cctx = zstandard.ZstdCompressor(level=ZSTD_LEVEL)

    def add(self, n_kept: int, kept: bytes, n_removed: int, removed: bytes) -> None:
        for i, (n, data) in enumerate(((n_kept, kept), (n_removed, removed))):
            if n:
                self.pending[i].append(data)
                self.counts[i] += n

    def end(self) -> None:
        for f, pending in zip(self.files, self.pending, strict=True):
            if pending:
                f.write(self.cctx.compress(b"".join(pending)))
                pending.clear()


def _write_quarantine(directory: Path, line_base: int) -> None:
    """``quarantine.jsonl`` from the entries phase 1 kept, with their lines made file-global."""
    with atomic_write(directory / "quarantine.jsonl") as fq:
        for entries in load_pickles(directory / "quarantine.pkl"):
            if not isinstance(entries, list) or not all(isinstance(q, QuarantineEntry) for q in entries):
                raise corrupt(directory / "quarantine.pkl", "holds something else than entries")
            for q in entries:
                q.line += line_base
            fq.write(b"".join(q.to_json() + b"\n" for q in entries))


def _grouped(blocks: Iterator[list[bytes]], size: int = _RENDER_LINES) -> Iterator[list[bytes]]:
    """The lines of ``blocks`` (a list per ~1 MiB read) in lists of at least ``size`` (but the
    last): rendering has a fixed cost per call (plan reads, id lookups, numpy calls), which
    blocks of ~200 lines of a compressed input made ~1/3 of it."""
    group: list[bytes] = []
    for lines in blocks:
        group += lines
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def _write_records(task: WriteTask, n: int, renderer: _Renderer, frames: _Frames) -> None:
    """Render the task's ``n`` documents, line by line as re-read, into ``frames``,
    ending a frame at each of the task's cuts."""
    d = task.work.task(task.index)
    cuts = iter(sorted({c for c in task.cuts if 0 < c < n}))
    cut = next(cuts, n)
    start = 0
    split = task.split if task.split is not None else whole_part(task.path)
    blocks = _grouped(record_lines(task.path, split, read_array(d / "lines.bin", np.uint64, n)))
    for lines in blocks:
        m = len(lines)
        if start + m > n:
            raise corrupt(d, f"more lines numbered for {task.path} than documents")
        lo = 0
        while lo < m:
            hi = min(m, cut - start)
            frames.add(*renderer.render(lines[lo:hi], start + lo))
            lo = hi
            if start + lo == cut:
                frames.end()
                cut = next(cuts, n)
        start += m
    if start != n:
        raise corrupt(d, f"fewer lines of {task.path} found than documents")
    frames.end()


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
            frames = _Frames(fk, fr)
            _write_records(task, plan.n, renderer, frames)
        _write_quarantine(d, task.line_base)
    return {"kept": frames.counts[0], "removed": frames.counts[1], "samples": renderer.excerpts}


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

