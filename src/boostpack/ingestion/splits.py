"""Split one input file into parts that tasks read independently, together exactly as the whole.

Parallelism per input file leaves a single huge file on one worker; at 100B tokens inputs are
often a few files of tens of GB. Every input is therefore cut into parts of about
``split_bytes``, and a part never depends on reading the ones before it:

- plain JSONL: byte ranges. Range ``k`` starts at the first line start at or after
  ``k * split_bytes`` (one ``pread`` of the bytes around that point).
- ``.zst`` and ``.gz``: runs of units (``frames``: zstd frames, BGZF members), cut at the first
  unit that starts at or after ``k * split_bytes`` of decompressed stream. A part owns the lines
  that start after the first newline of its first unit: it skips up to there, reads its units,
  and reads on into the next part's units up to their first newline, so nobody needs to know
  whether the unit before a part ended a line (that would mean decoding it). This needs each
  unit's decompressed size (for the stream offsets of the part's lines): a file whose frames
  do not all carry one (``pzstd`` output, streamed writers)
  is one part, as is a single-frame ``.zst`` or an ordinary ``.gz``, which can only be decoded
  from the start: ``splittable`` says no, the file is read whole, and a log line says so when
  that leaves a big file on one core.
- Parquet and Arrow (``tables``): runs of row groups or record batches, cut by their sizes.

So every line belongs to exactly one part, and the parts depend only on the file and
``split_bytes``. A part yields exactly the records and quarantine entries that a whole-file read
yields for its lines, byte offsets included; a damaged unit loses the rest of itself (one
``corrupt_stream`` entry), never the units after it, whatever the parts.

Line numbers are local to a part (its first line is line 1): the absolute number needs the lines
of all earlier parts, and counting them before the tasks start would be a serial pass over the
input (newlines of plain JSONL: ~0.5 GB/s). Each part reports how many lines it read; the caller
adds the counts of the parts before. Only on an error path (``--strict``) does a reader count
the earlier lines itself.

``RangeReader`` reads a part through the one per-line classification loop (``classify``), and
collects the records where output frames start (``cuts``): the same records whatever the parts,
because every part starts at such a point when ``split_bytes`` is a multiple of ``cell_bytes``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from boostpack._jsonl import join_lines
from boostpack.ingestion.classify import (
    Batch,
    Classifier,
    ClassifyRuns,
    classify_runs,
    read_jsonl,
    read_range,
)
from boostpack.ingestion.frames import Unit, iter_units, units
from boostpack.ingestion.options import ReadOptions
from boostpack.ingestion.streams import (
    BOM,
    Chunk,
    Gap,
    count_newlines,
    line_blocks,
    line_runs,
    range_chunks,
    unit_chunks,
)
from boostpack.ingestion.tables import (
    is_table,
    read_table,
    table_lines,
    table_rows,
    table_units,
)

__all__ = ["Lines", "RangeReader", "Split", "plan_splits", "record_lines", "splittable", "whole_part"]

_COMPRESSED = (".zst", ".gz")
_LOG_WHOLE_BYTES = 64 << 20


def splittable(path: str) -> bool:
    """Whether ``plan_splits`` may cut the file into several parts: plain JSONL, compressed
    files of several units that all record their decompressed size, tables of several units.
    Any other file is read whole (``read_batches``), and a compressed one over 64 MB is
    logged (one line), since reading it keeps one core busy while the others may idle."""
    if is_table(path):
        return len(table_units(path)) > 1
    if not path.lower().endswith(_COMPRESSED):
        return True
    found = units(path)
    if _cuttable(found):
        return True
    size = os.path.getsize(path)
    if size > _LOG_WHOLE_BYTES:
        _say_unsplittable(path, found, size)
    return False


def _cuttable(found: Sequence[Unit]) -> bool:
    """Whether compressed ``found`` units can start parts: several, sizes known (a stream of
    unknown size can only come last, where nothing follows it)."""
    return len(found) > 1 and all(unit.size >= 0 for unit in found[:-1])


@dataclass(frozen=True)
class Split:
    """One part of a file (module docstring). ``kind`` ``plain``: bytes ``[start, end)``, both
    line starts (or the file's end). ``compressed``: the ``units`` at file offsets ``[start,
    end)``, the first at stream offset ``base``. ``table``: the ``units`` numbered ``[start,
    end)``, after ``base`` bytes of units.

    ``fmt`` is the format to read with: the file's detected format for a part after the line
    where auto-detection happens (``detected_at``: its end, as a stream offset or a row count),
    the caller's (possibly ``auto``) before it."""

    start: int
    end: int
    fmt: str
    kind: str = "plain"
    units: tuple[Unit, ...] = ()
    base: int = 0
    detected_at: int = 0


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
    """(format, end of the line that determined it: a stream offset, or rows for a table)
    under auto-detection; ("", the end) when no line does. Normally line 1: microseconds."""
    end = 0
    with contextlib.closing(_whole(path, options, 1)) as batches:
        for batch in batches:
            end += batch.lines_read if is_table(path) else batch.bytes_read
            if batch.format:
                return batch.format, end
    return "", end


def _whole(path: str, options: ReadOptions, batch_lines: int) -> Iterator[Batch]:
    return (read_table(path, options, batch_lines) if is_table(path)
            else read_jsonl(path, options, batch_lines))


def _plain_splits(path: str, options: ReadOptions, split_bytes: int) -> list[Split]:
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


def _runs(sizes: Sequence[int], full: Sequence[bool], split_bytes: int) -> list[int]:
    """The unit numbers that start parts: the first unit with content at or after each
    multiple of ``split_bytes`` of the units' ``sizes``."""
    starts, pos, target = [0], 0, split_bytes
    for i, (size, nonempty) in enumerate(zip(sizes, full, strict=True)):
        if i and nonempty and pos >= target:
            starts.append(i)
            target = (pos // split_bytes + 1) * split_bytes
        pos += size
    return starts


def _unit_splits(path: str, options: ReadOptions, split_bytes: int, kind: str,
                 found: list[Unit]) -> list[Split] | None:
    """The parts of a compressed file or a table, None when it is one part."""
    if kind == "compressed":
        sizes, full = [u.size for u in found], [u.size != 0 for u in found]
        if not _cuttable(found):
            return None
    else:
        sizes, full = [u.size for u in found], [u.length > 0 for u in found]
    starts = _runs(sizes, full, split_bytes)
    if len(starts) < 2:
        return None
    fmt, detected_at = options.fmt, 0
    if fmt == "auto":
        fmt, detected_at = _detection(path, options)
        fmt = fmt or "auto"
    positions = list(itertools.accumulate(sizes, initial=0))
    rows = list(itertools.accumulate((u.length for u in found), initial=0))
    splits = []
    for i, j in zip(starts, [*starts[1:], len(found)], strict=True):
        run = tuple(found[i:j])
        if kind == "table":
            splits.append(Split(i, j, fmt if rows[i] >= detected_at else "auto", kind, run,
                                base=positions[i]))
            continue
        splits.append(Split(run[0].offset, run[-1].offset + run[-1].length, fmt, kind, run,
                            positions[i], detected_at))
    return splits


def plan_splits(path: str, options: ReadOptions, split_bytes: int) -> list[Split]:
    """The parts of a file (one when it is smaller than ``split_bytes`` or cannot be cut)."""
    if is_table(path):
        kind, found = "table", table_units(path)
    elif path.lower().endswith(_COMPRESSED):
        kind, found = "compressed", units(path)
    else:
        return _plain_splits(path, options, split_bytes)
    splits = _unit_splits(path, options, split_bytes, kind, found)
    if splits is not None:
        return splits
    end = len(found) if kind == "table" else os.path.getsize(path)
    return [Split(0, end, options.fmt, kind, tuple(found))]


def whole_part(path: str) -> Split:
    """The one part of a file read whole (``read_batches``), for ``record_lines``: its line
    numbers are the file's, as the whole-file read numbers them."""
    if is_table(path):
        found = table_units(path)
        return Split(0, len(found), "auto", "table", tuple(found))
    if path.lower().endswith(_COMPRESSED):
        return Split(0, os.path.getsize(path), "auto", "compressed", tuple(units(path)))
    return Split(0, os.path.getsize(path), "auto")


def _say_unsplittable(path: str, found: list[Unit], size: int) -> None:
    from boostpack.runtime.console import log

    if len(found) > 1:
        why = f"its {len(found)} frames do not all record their decompressed size"
    elif path.lower().endswith(".gz"):
        why = "an ordinary gzip stream decodes only from its start"
    else:
        why = "one zstd frame decodes only from its start"
    log(f"boostpack: {path}: {size / 1e6:,.0f} MB read by one task, as {why} (bgzip, or "
        "zstd frames that record their size, make files every core reads; see the README)")


# --- compressed parts ------------------------------------------------------------------------

def _overflow(path: str, offset: int) -> Iterator[Chunk]:
    """The units from file ``offset`` up to and including their first newline: the end of a
    part's last line. A damaged unit ends it."""
    for chunk in unit_chunks(path, iter_units(path, offset)):
        if type(chunk) is not bytes:
            yield Gap(chunk.reason, chunk.detail)
            return
        i = chunk.find(b"\n")
        if i >= 0:
            yield chunk[:i + 1]
            return
        yield chunk


def _compressed_chunks(path: str, split: Split) -> tuple[int, Iterator[Chunk]]:
    """(stream offset of the part's first line, the part's decompressed chunks from there to
    the end of its last line)."""
    chunks = unit_chunks(path, split.units)
    pos = split.base
    if pos:  # not the file's first part: its first line is the part before's last
        for chunk in chunks:
            if type(chunk) is not bytes:
                if chunk.skip is None:
                    return pos, iter(())
                pos += chunk.skip
                break  # reading goes on at the next unit, as at a line start
            i = chunk.find(b"\n")
            if i >= 0:
                rest = iter((chunk[i + 1:],)) if i + 1 < len(chunk) else iter(())
                return pos + i + 1, itertools.chain(rest, chunks, _overflow(path, split.end))
            pos += len(chunk)
        else:
            return pos, iter(())  # no line starts in the part
    return pos, itertools.chain(chunks, _overflow(path, split.end))


def _marks(split: Split, cell_bytes: int) -> list[int]:
    """Stream offsets inside a compressed part where an output frame starts (besides every
    multiple of ``cell_bytes``): just past the start of each unit with content that is the
    first at or after such a multiple, where a part starting there (as parts do) would start.
    The first record of a line starting at or after a mark starts the frame."""
    if not cell_bytes or any(unit.size < 0 for unit in split.units[:-1]):
        return []  # a part of unknown sizes is a whole file: no other part to agree with
    marks, pos, last = [], split.base, -1
    for i, unit in enumerate(split.units):
        if unit.size and i and pos // cell_bytes > last // cell_bytes:
            marks.append(pos + 1)  # a line starting exactly at the unit is the part before's
        if unit.size:
            last = pos
        pos += max(unit.size, 0)
    return marks


def _lines_before(path: str, split: Split) -> int:
    """Lines of a compressed file owned by the parts before ``split``: those of one part made
    of every unit before it (it decodes them)."""
    if not split.base:  # the first part
        return 0
    found = units(path)
    first = next(i for i, unit in enumerate(found) if unit.offset == split.start)
    _, chunks = _compressed_chunks(path, Split(0, split.start, "auto", "compressed",
                                               tuple(found[:first])))
    return sum(len(run) if type(run) is list else 1 for run in line_runs(chunks))


# --- reading a part --------------------------------------------------------------------------

@dataclass(frozen=True)
class Lines:
    """Some lines of one block of input, as ``Batch.raw`` holds them (no terminator, ``\\r`` or
    BOM): line ``i`` is ``data[start[i]:start[i] + length[i]]``. No object per line: phase 3
    of dedup copies the kept ones into its output in one C call (``join_into``)."""

    data: np.ndarray  # uint8
    start: np.ndarray  # int64
    length: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.start)

    def line(self, i: int) -> bytes:
        at = int(self.start[i])
        return self.data[at:at + int(self.length[i])].tobytes()

    def part(self, lo: int, hi: int) -> Lines:
        return Lines(self.data, self.start[lo:hi], self.length[lo:hi])

    def join_into(self, which: np.ndarray, out: np.ndarray) -> int:
        """The lines picked by ``which`` (a mask or indices), each with a ``\\n``, written
        at the start of ``out``; returns the bytes written."""
        return join_lines(self.data, self.start[which], self.length[which], out)

    def joined_size(self, which: np.ndarray) -> int:
        """The bytes ``join_into`` writes."""
        picked = self.length[which]
        return int(picked.sum()) + len(picked)


def _table_lines(rows: list[bytes]) -> Lines:
    length = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    start = np.zeros(len(rows), dtype=np.int64)
    np.cumsum(length[:-1] + 1, out=start[1:])
    return Lines(np.frombuffer(b"\n".join(rows), dtype=np.uint8), start, length)


_BLOCK_BYTES = 8 << 20  # input bytes per block of record_lines: per-block costs stay small


def record_lines(path: str, split: Split, numbers: np.ndarray) -> Iterator[Lines]:
    """The lines numbered ``numbers`` (local, ascending) of ``split``, a block of them per
    ~8 MB read: phase 3 of dedup takes the kept and removed lines from the input instead of a
    copy saved in phase 1. A block's ``data`` is a reused buffer: valid until the next block."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if split.kind == "table":
        yield from map(_table_lines, table_rows(path, split.units, numbers.tolist()))
        return
    if split.kind == "compressed":
        first, chunks = _compressed_chunks(path, split)
    else:
        first, chunks = split.start, range_chunks(path, split.start, split.end)
    i = line_no = 0
    for block in line_blocks(chunks, _BLOCK_BYTES):
        if type(block) is not tuple:  # a broken line: one line, never a record
            line_no += 1
            continue
        data, ends = block
        hi = int(np.searchsorted(numbers, line_no + len(ends), side="right"))
        if hi > i:
            which = numbers[i:hi] - line_no - 1
            end = ends[which]
            start = np.where(which > 0, ends[which - 1] + 1, 0)  # ends[-1] unused at 0
            length = end - start
            length -= (length > 0) & (data[np.maximum(end - 1, 0)] == 13)  # one CR dropped
            if first == 0 and numbers[i] == 1 and length[0] >= 3 and data[:3].tobytes() == BOM:
                start[0] += 3
                length[0] -= 3
            yield Lines(data, start, length)
            i = hi
        line_no += len(ends)


class RangeReader:
    """Reads one ``Split`` as ``Batch``es, lines numbered from 1 within the part.

    ``cuts`` (filled while reading): the record numbers, counted from 0 within the part, where
    an output frame starts: the first record at or after each multiple of ``cell_bytes`` of
    the stream (tables: see ``tables.read_table``) and of each unit that could start a part.
    A part always starts at such a point when ``split_bytes`` is a multiple of ``cell_bytes``,
    so cuts are the same whatever the split: writers start an output frame there.
    """

    def __init__(self, path: str, split: Split, options: ReadOptions, cell_bytes: int) -> None:
        self.path, self.split, self.cell_bytes = path, split, cell_bytes
        self.options = dataclasses.replace(options, fmt=split.fmt)
        self.auto = options.fmt
        self.cuts: list[int] = []

    def line_base(self) -> int:
        """Lines before the part (counted on demand: it reads the file up to the part)."""
        if self.split.kind == "table":
            return table_lines(self.path, table_units(self.path)[:self.split.start])
        if self.split.kind == "compressed":
            return _lines_before(self.path, self.split)
        return count_newlines(self.path, self.split.start)

    def batches(self, batch_lines: int, classify: ClassifyRuns = classify_runs) -> Iterator[Batch]:
        """Up to ``batch_lines`` physical lines (rows) per batch, as ``read_batches`` makes them
        (``classify``: what classifies JSONL lines, ``classify.ClassifyRuns``)."""
        split = self.split
        if split.kind == "plain":
            return read_range(self.path, split.start, split.end, self.options, batch_lines,
                              cell_bytes=self.cell_bytes, cuts=self.cuts, classify=classify)
        if split.kind == "table":
            return read_table(self.path, self.options, batch_lines, split.units, before=split.base,
                              cell_bytes=self.cell_bytes, cuts=self.cuts)
        start, chunks = _compressed_chunks(self.path, split)
        options = self.options
        if start < split.detected_at:  # the part holds lines before the one detection used
            options = dataclasses.replace(options, fmt=self.auto)
        cls = Classifier(self.path, options, self.line_base)
        return classify(cls, line_runs(chunks), batch_lines, start, self.cell_bytes, self.cuts,
                        _marks(split, self.cell_bytes))
