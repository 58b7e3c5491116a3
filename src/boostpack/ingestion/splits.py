"""Split one plain JSONL input into byte ranges that tasks read independently.

Parallelism per input file leaves a single huge file on one worker; at 100B tokens inputs are
often a few files of tens of GB. A plain file is therefore cut into ranges of about
``split_bytes``: range ``k`` starts at the first line start at or after ``k * split_bytes`` (one
``pread`` of the bytes around that point), so every line belongs to exactly one range and the
ranges depend only on the file and ``split_bytes``.

Not split: a ``.gz`` stream or a single-frame ``.zst`` stream can only be decoded from its start
(the decoder state at a point depends on everything before it), so such a file is one task.
A multi-frame ``.zst`` file (``zstd -T``/``pzstd`` output, or boostpack's own ``kept/``) could
be cut at frame boundaries, found from the frame and block headers without decoding, with
lines that straddle a boundary owned by the range they start in; byte offsets of quarantined
lines would need the frames' content sizes (optional in the header). Not done yet. Parquet
files are one task as well (row groups would be the unit).

Line numbers are local to a range (the first line of a range is line 1): the absolute number
needs the newlines of all earlier ranges, and counting them in the parent before the tasks
start measured ~0.5 GB/s here, a serial pass of 1/5 of the single-core time at the 100 MB/s
target, and a larger share with every worker added. Each range reports how many lines it read;
the caller adds the counts of the ranges before. Only on an error path (``--strict``) does a
reader count the earlier newlines itself.

``RangeReader`` reads a range through the one per-line classification loop
(``classify.read_range``), so a range yields exactly the records and quarantine entries that
``read_batches`` yields for those lines, with the same byte offsets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from boostpack.ingestion.classify import Batch, read_jsonl, read_range
from boostpack.ingestion.options import ReadOptions
from boostpack.ingestion.streams import BOM, count_newlines, line_runs, range_chunks

_UNSPLITTABLE = (".zst", ".gz", ".parquet")


def splittable(path: str) -> bool:
    """True for the inputs read as plain JSONL (any name but ``.zst``/``.gz``/``.parquet``)."""
    return not path.lower().endswith(_UNSPLITTABLE)


@dataclass(frozen=True)
class Split:
    """Bytes ``[start, end)`` of a plain file, both line starts (or the file's end); ``fmt``
    is the format to read them with: the file's detected format for a range after the line
    where auto-detection happens, the caller's (possibly ``auto``) before it."""

    start: int
    end: int
    fmt: str


def _line_start(f: int, pos: int, size: int) -> int:
    """The first line start at or after ``pos`` (``size`` when there is none)."""
    at = pos - 1  # pos is a line start when the byte before it ends a line
    while at < size:
        data = os.pread(f, 1 << 16, at)
        i = data.find(b"\n")
        if i >= 0:
            return at + i + 1
        at += len(data)
    return size


def _detection(path: str, options: ReadOptions) -> tuple[str, int]:
    """(format, end offset of the line that determined it) under auto-detection; ("", size)
    when no line does. Normally line 1: a few microseconds."""
    end = 0
    with contextlib.closing(read_jsonl(path, options, batch_lines=1)) as batches:
        for batch in batches:
            end += batch.bytes_read
            if batch.format:
                return batch.format, end
    return "", end


def plan_splits(path: str, options: ReadOptions, split_bytes: int) -> list[Split]:
    """The ranges of a plain file (one range when it is smaller than ``split_bytes``)."""
    size = os.path.getsize(path)
    starts = [0]
    fd = os.open(path, os.O_RDONLY)
    try:
        for pos in range(split_bytes, size, split_bytes):
            start = _line_start(fd, pos, size)
            if start >= size:
                break
            if start > starts[-1]:  # a line longer than split_bytes spans several points
                starts.append(start)
    finally:
        os.close(fd)
    ends = [*starts[1:], size]
    if len(starts) == 1 or options.fmt != "auto":
        return [Split(s, e, options.fmt) for s, e in zip(starts, ends, strict=True)]
    # A range read on its own would detect its format from its own first lines; the file's
    # format is the one its first detectable line gives, and lines after that line use it.
    fmt, detected_at = _detection(path, options)
    return [Split(s, e, fmt if fmt and s >= detected_at else "auto")
            for s, e in zip(starts, ends, strict=True)]


def record_lines(path: str, split: Split, numbers: np.ndarray) -> Iterator[list[bytes]]:
    """The lines numbered ``numbers`` (local, ascending) of ``split``, as ``Batch.raw`` holds
    them (no terminator, ``\\r`` or BOM), a run of them per MB read: phase 3 of dedup takes
    the kept and removed lines from the input instead of a copy saved in phase 1."""
    numbers = np.asarray(numbers, dtype=np.int64)
    i = line_no = 0
    for run in line_runs(range_chunks(path, split.start, split.end)):
        hi = int(np.searchsorted(numbers, line_no + len(run), side="right"))
        if hi > i:
            lines = [run[k] for k in (numbers[i:hi] - line_no - 1).tolist()]
            lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
            if split.start == 0 and numbers[i] == 1 and lines[0].startswith(BOM):
                lines[0] = lines[0][3:]
            yield lines
            i = hi
        line_no += len(run)


class RangeReader:
    """Reads one ``Split`` as ``Batch``es, lines numbered from 1 within the range.

    ``cuts`` (filled while reading): the record numbers, counted from 0 within the range, of
    the first record at or after each multiple of ``cell_bytes`` in the file. A range start is
    always such a point when ``split_bytes`` is a multiple of ``cell_bytes``, so cuts are the
    same whatever the split: writers start an output frame there.
    """

    def __init__(self, path: str, split: Split, options: ReadOptions, cell_bytes: int) -> None:
        self.path, self.split, self.cell_bytes = path, split, cell_bytes
        self.options = dataclasses.replace(options, fmt=split.fmt)
        self.cuts: list[int] = []

    def line_base(self) -> int:
        """Lines before the range (counted on demand: it reads the file up to the range)."""
        return count_newlines(self.path, self.split.start)

    def batches(self, batch_lines: int) -> Iterator[Batch]:
        """Up to ``batch_lines`` physical lines per batch, as ``read_batches`` makes them."""
        return read_range(self.path, self.split.start, self.split.end, self.options, batch_lines,
                          cell_bytes=self.cell_bytes, cuts=self.cuts)
