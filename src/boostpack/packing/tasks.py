"""Pack's tasks: the inputs cut into tasks of about ``task_bytes`` (``plan_tasks``), and one task
run start to end (``run_task``: read, render, tokenize, pack, write its own shards, document
table part and quarantine part), on whichever backend the executor uses.

The plan depends only on the input files and the config: a plain JSONL file is cut at line
starts into ranges of ``task_bytes`` (``ingestion.splits``); a compressed or Parquet file is one
piece; consecutive small pieces share a task until it holds ``task_bytes``. Each task packs its
documents alone (its own best-fit windows), so the shards, index and document table are the
same whatever the worker count or backend, and documents keep input order: task ``k``'s come
after task ``k-1``'s.
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.format.manifest import file_xxh3
from boostpack.ingestion.splits import plan_splits, splittable
from boostpack.packing.config import PackConfig
from boostpack.packing.fastlane import FastLane
from boostpack.packing.job import PackJob
from boostpack.packing.output import TaskSink, task_dir
from boostpack.packing.reading import InputPiece, ReadSetup, first_format, read_documents
from boostpack.packing.threads import Pipeline
from boostpack.packing.tokenization import load_encoder, set_threads
from boostpack.runtime.allocator import keep_freed_memory
from boostpack.runtime.backends import hand_off
from boostpack.runtime.gc_threshold import fewer_collections


def _stamp(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _ranges(source: int, path: str, config: PackConfig, stamp: tuple[int, int]
            ) -> list[InputPiece]:
    """A plain file's ranges. Under format auto, a range after the line that determines the
    file's format reads with that format (as ``ingestion.splits.plan_splits`` gives it), found
    here by streaming: a first line longer than ``--max-record-bytes`` is never held."""
    fmt = config.read.fmt
    splits = plan_splits(path, dataclasses.replace(config.read, fmt=fmt if fmt != "auto"
                                                   else "qa"), int(config.task_bytes))
    if fmt != "auto" or len(splits) == 1:
        return [InputPiece(source, path, s.start, s.end, fmt, stamp) for s in splits]
    detected, at = first_format(path, config.read, int(config.max_record_bytes))
    return [InputPiece(source, path, s.start, s.end,
                       detected if detected and s.start >= at else "auto", stamp)
            for s in splits]


def plan_tasks(files: list[str], config: PackConfig) -> list[tuple[InputPiece, ...]]:
    """The input pieces of each task, in input order (see the module docstring)."""
    limit = int(config.task_bytes)
    pieces: list[InputPiece] = []
    for source, path in enumerate(files):
        stamp = _stamp(path)
        if splittable(path) and stamp[0] > limit:
            pieces += _ranges(source, path, config, stamp)
        else:
            pieces.append(InputPiece(source, path, 0, -1, config.read.fmt, stamp))
    tasks: list[tuple[InputPiece, ...]] = []
    group: list[InputPiece] = []
    size = 0
    for piece in pieces:
        group.append(piece)
        size += piece.bytes
        if size >= limit:
            tasks.append(tuple(group))
            group, size = [], 0
    if group:
        tasks.append(tuple(group))
    return tasks


@dataclass(frozen=True)
class PackTask:
    """One task: its ``pieces``, the run's ``job``, the engine and cut verdict (``engines``),
    the output directory. ``threads``: cores the task may use (the engine's thread pool); it
    never changes the output, so it is left out of the task's identity (its resume marker)."""

    index: int
    pieces: tuple[InputPiece, ...]
    job: PackJob
    engine: str
    exact_cuts: bool
    out: str
    threads: int = field(default=1, repr=False, compare=False)


def _check_unchanged(piece: InputPiece) -> None:
    if _stamp(piece.path) != piece.stamp:
        raise InvalidInput(f"{piece.path} changed while it was being packed (size or mtime); "
                           "rerun to pack it again")


@fewer_collections()
def run_task(task: PackTask) -> dict[str, Any]:
    """Pack ``task`` into its directory under the output's work directory; return what the
    finishing step needs (small, JSON-serializable): per piece its counts, per shard its
    files, the document table, quarantine parts and counts."""
    job = task.job
    keep_freed_memory()
    set_threads(task.threads)
    encoder = load_encoder(job.tokenizer, task.engine)
    setup = ReadSetup(job.config, job.parts_renderer(), task.exact_cuts,
                      FastLane.for_config(job.config))
    sink = TaskSink(task_dir(Path(task.out), task.index), job)
    pipeline = Pipeline(job, encoder, sink, task.threads > 1, len(task.pieces))
    # The checksum of each file whose first byte this task reads, hashed on a thread of its own
    # while the task reads (xxhash releases the GIL): hashed first, it held up the tokenizer
    # for ~0.15 s per 300 MB file before the first batch.
    hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-checksum")
    checksums = [hashing.submit(file_xxh3, p.path) if p.start == 0 else None
                 for p in task.pieces]
    pieces: list[dict[str, Any]] = []
    try:
        for i, piece in enumerate(task.pieces):
            _check_unchanged(piece)
            counts = {"source": piece.source, "records": 0, "empty_records": 0,
                      "quarantined": 0, "lines_read": 0, "bytes_read": 0, "xxh3": None}
            for batch in read_documents(piece, setup):
                batch.source = i
                for key in ("records", "empty_records", "lines_read", "bytes_read"):
                    counts[key] += getattr(batch, key)
                counts["quarantined"] += len(batch.quarantined)
                pipeline.add(batch)
            pieces.append(counts)
        hand_off()  # all input read: the next task may start while this one drains
        pipeline.finish()
        for counts, checksum in zip(pieces, checksums, strict=True):
            counts["xxh3"] = checksum.result() if checksum is not None else None
        result = sink.finish()
    except BaseException:
        pipeline.abort()
        sink.abort()
        raise
    finally:
        hashing.shutdown(wait=True, cancel_futures=True)
    for counts, documents, empty in zip(pieces, pipeline.documents, pipeline.empty,
                                        strict=True):
        counts["documents"] = documents
        counts["empty_records"] += empty
    _check_unchanged(task.pieces[-1])
    return {**result, "pieces": pieces, "engine": encoder.name}
