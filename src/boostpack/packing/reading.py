"""Reading one input piece (a whole file, or a byte range of a plain JSONL file) as ``DocBatch``es.

JSONL is read here, not through ``ingestion.readers.read_batches``, for two reasons. Memory: a
line longer than ``--max-record-bytes`` is skipped as it streams by (its first 4 KB kept for
the quarantine entry, reason ``too_large``), so no line's size reaches memory. Speed: the lines
of a ``qa``/``text`` file without a field mapping go through the fast lane (``fastlane``),
which never builds a Python object per line; any line it does not vouch for, and every line of
other formats, goes through ``ingestion``'s own classifier (``Classifier``), so records,
quarantine entries (line, byte offset, reason) and counts are what ``read_batches`` gives.
Parquet is read by ``read_batches``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from boostpack.ingestion.classify import Batch, Classifier
from boostpack.ingestion.formats import detect_format
from boostpack.ingestion.readers import read_batches
from boostpack.ingestion.streams import (
    BOM,
    Gap,
    count_newlines,
    file_chunks,
    prefetched,
)
from boostpack.packing.config import PackConfig
from boostpack.packing.documents import DocBatch, DocBuilder

# Input bytes per DocBatch, at least: one encode call per block (~4 MB) keeps the engine's
# per-call cost small and bounds a task's memory (a few batches are in flight).
BATCH_BYTES = 1 << 20
# Decompressed bytes handled at a time: per block the fast lane costs a few dozen numpy calls.
_BLOCK_BYTES = 4 << 20
# Of a too-long line, the bytes kept for its quarantine entry.
_TOO_LARGE_HEAD = 4096

Render = Callable[[dict[str, Any]], tuple[str, str]]


@dataclass(frozen=True)
class InputPiece:
    """What a task reads of one input file: bytes ``[start, end)`` of a plain JSONL file (both
    line starts), or the whole file (``end`` = -1). ``source``: the file's number among the
    inputs; ``fmt``: the format to read it with; ``stamp``: (size, mtime in ns) when planned,
    so that a resumed run does not reuse the work of a changed file."""

    source: int
    path: str
    start: int
    end: int
    fmt: str
    stamp: tuple[int, int]

    @property
    def whole(self) -> bool:
        return self.end < 0

    @property
    def bytes(self) -> int:
        return self.stamp[0] if self.whole else self.end - self.start


@dataclass(frozen=True)
class ReadSetup:
    """How a task reads: the run's config, the record -> (prompt, response) renderer, whether
    documents may be cut (``engines.Verdict.exact_cuts``) and the fast lane, if it applies."""

    config: PackConfig
    render: Render
    exact_cuts: bool
    fast: Any = None  # fastlane.FastLane | None


class _LongLine:
    """A line over ``--max-record-bytes`` being read past (it is never held whole): its line
    number and stream offset, its first bytes, its length so far and its last byte."""

    __slots__ = ("head", "last", "length", "line_no", "offset")

    def __init__(self, line_no: int, offset: int, data: bytes | bytearray, start: int,
                 stop: int) -> None:
        self.line_no, self.offset = line_no, offset
        self.head = bytes(data[start:start + _TOO_LARGE_HEAD + len(BOM)])
        self.length = stop - start
        self.last = bytes(data[stop - 1:stop])

    def extend(self, data: bytes | bytearray, end: int) -> None:
        """``data[:end]`` is more of the line."""
        if end:
            self.length += end
            self.last = bytes(data[end - 1:end])


class _PieceReader:
    """State of reading one JSONL piece: the classifier (format detection, quarantine), the
    batch being built, and the position in the stream."""

    def __init__(self, piece: InputPiece, setup: ReadSetup) -> None:
        self.piece, self.setup = piece, setup
        options = dataclasses.replace(setup.config.read, fmt=piece.fmt)
        base = piece.start
        self.cls = Classifier(piece.path, options,
                              (lambda: count_newlines(piece.path, base)) if base else None)
        self.max_line = int(setup.config.max_record_bytes)
        # An unfinished line is held until it passes this, then dropped as it streams by: past
        # max_line it is a too_large entry anyway, but the entry keeps its first 4 KB (after
        # a BOM).
        self.hold_limit = max(self.max_line, _TOO_LARGE_HEAD + len(BOM))
        self.loss_answer = setup.config.loss_on == "answer"
        self.builder = self._builder()
        self.line_no = 0  # lines of the piece handled so far

    def _builder(self) -> DocBuilder:
        return DocBuilder(self.piece.source, self.loss_answer, self.setup.exact_cuts)

    def take(self) -> DocBatch:
        batch = self.builder.finish()
        self.builder = self._builder()
        return batch

    def _quarantine(self, line_no: int, offset: int, reason: str, raw: bytes,
                    detail: str = "", into: Batch | None = None) -> None:
        """One entry, to the batch being built, or to ``into`` (a batch of lines being
        classified, whose entries the batch takes in line order)."""
        scratch = Batch(self.piece.path) if into is None else into
        self.cls.quarantine(scratch, line_no, offset, reason, raw, detail)  # raises if strict
        if into is None:
            self.builder.quarantined += [e.to_json() for e in scratch.quarantined]

    def too_large(self, line_no: int, offset: int, head: bytes, length: int,
                  into: Batch | None = None) -> None:
        self._quarantine(line_no, offset, "too_large", head[:_TOO_LARGE_HEAD],
                         f"line of {length:,} bytes is over --max-record-bytes "
                         f"{self.max_line:,}; raw holds its first {_TOO_LARGE_HEAD:,} bytes",
                         into)

    def skipped(self, line: _LongLine) -> None:
        """A line over ``--max-record-bytes`` read past: the entry ``slow_lines`` makes of such
        a line (BOM and ``\\r`` not counted); it counts as read, terminator included."""
        self.line_no += 1
        start = len(BOM) if line.offset == 0 and line.head.startswith(BOM) else 0
        length = line.length - start - (line.last == b"\r")
        self.too_large(line.line_no, line.offset + start, line.head[start:start + length],
                       length)
        self.builder.counts["lines_read"] += 1
        self.builder.counts["bytes_read"] += line.length + 1

    def broken(self, gap: Gap, offset: int, partial: bytes) -> None:
        """The line a damaged compressed stream broke (``partial``: as far as it was read),
        one quarantine entry; the ``gap.skip`` bytes lost after it count as read."""
        self.line_no += 1
        self._quarantine(self.line_no, offset, gap.reason, partial, gap.detail)
        self.builder.counts["lines_read"] += 1
        self.builder.counts["bytes_read"] += len(partial) + (gap.skip or 0)

    def lines(self, data: bytes | bytearray, stop: int, offset: int, final: bool) -> None:
        """Handle the complete lines in ``data[:stop]`` (each ends in ``\\n``, or ``final``:
        the file's unterminated last line), which start at stream ``offset``. ``data`` may be
        a buffer the caller reuses: nothing here keeps a reference to it."""
        fast = self.setup.fast
        count = pos = 0
        if fast is not None and not final:
            # Lines before the file's format is known (normally line 1) take the classifier,
            # which detects it; the rest of the block the fast lane.
            while pos < stop and not fast.ready(self.cls):
                end = data.index(b"\n", pos)
                self.slow_lines([bytes(data[pos:end])], offset + pos, self.line_no + count)
                count += 1
                pos = end + 1
            if pos < stop and fast.ready(self.cls):
                count += fast.lines(self, data, pos, stop, offset, self.line_no + count)
                pos = stop
        if pos < stop:
            lines = bytes(data[pos:stop]).split(b"\n")
            if not final:
                lines.pop()  # the empty string after the last "\n"
            self.slow_lines(lines, offset + pos, self.line_no + count)
            count += len(lines)
        self.line_no += count
        self.builder.counts["lines_read"] += count
        self.builder.counts["bytes_read"] += stop + final

    def slow_lines(self, lines: list[bytes], offset: int, line_no: int) -> None:
        """Lines through ingestion's classifier (``line_no``: lines before the first)."""
        scratch = Batch(self.piece.path)
        loads, decode_error = orjson.loads, orjson.JSONDecodeError
        for line in lines:
            line_no += 1
            at = offset
            offset += len(line) + 1
            if at == 0 and line.startswith(BOM):
                line = line[3:]
                at += 3  # offsets point at the bytes that ``raw`` holds
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self.max_line:
                self.too_large(line_no, at, line, len(line), scratch)
                continue
            try:
                obj = loads(line)
            except decode_error:
                self.cls.unparsed(scratch, line_no, at, line)
                continue
            self.cls.add(scratch, line_no, at, obj, line)
        self.add_records(scratch)

    def add_records(self, batch: Batch) -> None:
        """Render ``batch``'s records into the builder and take its quarantine entries."""
        builder, render = self.builder, self.setup.render
        for record in batch.records:
            prompt, response = render(record)
            if not builder.add(prompt, response, record["id"]):
                builder.counts["empty_records"] += 1
        builder.counts["records"] += len(batch.records)
        builder.quarantined += [e.to_json() for e in batch.quarantined]


def _read_compressed(piece: InputPiece, setup: ReadSetup) -> Iterator[DocBatch]:
    """A compressed JSONL file (always one whole piece), decompressed on a thread of its own
    (zstd and zlib release the GIL, so decompression overlaps parsing); a damaged unit's broken
    line is one quarantine entry and reading goes on at the next unit."""
    reader = _PieceReader(piece, setup)
    carry = b""  # the unfinished last line of what was read
    offset = piece.start  # stream offset of ``carry``
    parts: list[bytes] = []  # chunks read since
    size = 0
    skipping: _LongLine | None = None
    for chunk in prefetched(file_chunks(piece.path)):
        if type(chunk) is not bytes:  # a Gap: the broken line is one entry, then the next unit
            if skipping is not None:
                reader.broken(chunk, skipping.offset, skipping.head[:_TOO_LARGE_HEAD])
                end = skipping.offset + skipping.length
            else:
                end = _finish(reader, b"".join([carry, *parts]), offset, chunk)
            carry, parts, size, skipping = b"", [], 0, None
            if chunk.skip is None:  # nothing after the damage can be placed
                break
            offset = end + chunk.skip
            continue
        if skipping is not None:  # inside a line over the limit: drop it as it streams by
            end = chunk.find(b"\n")
            skipping.extend(chunk, len(chunk) if end < 0 else end)
            if end < 0:
                continue
            offset = skipping.offset + skipping.length + 1
            reader.skipped(skipping)
            chunk, skipping = chunk[end + 1:], None
        parts.append(chunk)
        size += len(chunk)
        if size < _BLOCK_BYTES and len(carry) + size <= reader.hold_limit:
            continue
        # One join per block (the carried line included), then the block's complete
        # lines are handled in place: no other copy of the block.
        data = b"".join([carry, *parts])
        parts, size = [], 0
        cut = data.rfind(b"\n") + 1
        if cut:
            reader.lines(data, cut, offset, final=False)
            offset += cut
        carry = data[cut:]
        if len(carry) > reader.hold_limit:
            skipping = _LongLine(reader.line_no + 1, offset, carry, 0, len(carry))
            carry = b""
        if reader.builder.counts["bytes_read"] >= BATCH_BYTES:
            yield reader.take()
    else:
        if skipping is not None:  # the file ends inside a too-long line
            reader.skipped(skipping)
        else:
            _finish(reader, b"".join([carry, *parts]), offset, None)
    yield reader.take()


def _read_plain(piece: InputPiece, setup: ReadSetup) -> Iterator[DocBatch]:
    """A plain JSONL file or a range of one (``_read_compressed`` without gaps): each block is
    read straight into one reused buffer, behind the unfinished last line of the block before,
    so the input is copied only by the kernel. (Read as 1 MB ``bytes`` on a read-ahead thread
    and joined into 4 MB blocks, the join alone took 0.126 s per 300 MB, ~0.07 CPU-s per
    100 MB of text, and each chunk was fresh memory to fault in; the read-ahead bought nothing
    here, a page-cache read being a copy.)"""
    reader = _PieceReader(piece, setup)
    buf = bytearray(_BLOCK_BYTES)
    held = 0  # buf[:held]: the unfinished last line of what was read
    offset = piece.start  # stream offset of buf[0]
    left = -1 if piece.whole else piece.end - piece.start  # bytes still to read (-1: to EOF)
    skipping: _LongLine | None = None
    with open(piece.path, "rb", buffering=0) as f:
        f.seek(piece.start)
        while left:
            if len(buf) < held + _BLOCK_BYTES:  # a long unfinished line: a larger buffer
                grown = bytearray(held + _BLOCK_BYTES)
                grown[:held] = buf[:held]
                buf = grown
            n = _fill(f, buf, held, _BLOCK_BYTES if left < 0 else min(_BLOCK_BYTES, left))
            if not n:
                break
            if left > 0:
                left -= n
            size = held + n
            if skipping is not None:  # inside a line over the limit: drop it as it streams by
                end = buf.find(b"\n", 0, size)
                skipping.extend(buf, size if end < 0 else end)
                if end < 0:
                    continue
                offset = skipping.offset + skipping.length + 1
                reader.skipped(skipping)
                skipping, held = None, size - end - 1
                buf[:held] = buf[end + 1:size]
                continue
            cut = buf.rfind(b"\n", 0, size) + 1
            if cut:
                reader.lines(buf, cut, offset, final=False)
                offset += cut
            held = size - cut
            if held > reader.hold_limit:
                skipping = _LongLine(reader.line_no + 1, offset, buf, cut, size)
                held = 0
            elif cut:
                buf[:held] = buf[cut:size]
            if reader.builder.counts["bytes_read"] >= BATCH_BYTES:
                yield reader.take()
        if skipping is not None:  # the file ends inside a too-long line
            reader.skipped(skipping)
        else:
            _finish(reader, bytes(buf[:held]), offset, None)
    yield reader.take()


def _fill(f: Any, buf: bytearray, at: int, want: int) -> int:
    """Read up to ``want`` bytes into ``buf[at:]``; fewer only at the end of the file."""
    got = 0
    with memoryview(buf) as view:
        while got < want:
            n = f.readinto(view[at + got:at + want])
            if not n:
                break
            got += n
    return got


def _finish(reader: _PieceReader, data: bytes, offset: int, gap: Gap | None) -> int:
    """The rest of what was read: its complete lines, then its unterminated last line (a final
    line, or the partial line before a ``gap`` in a damaged stream). Returns the stream offset
    after it."""
    cut = data.rfind(b"\n") + 1
    if cut:
        reader.lines(data, cut, offset, final=False)
        offset += cut
    tail = data[cut:]
    if gap is not None:
        reader.broken(gap, offset, tail)
    elif tail:  # over --max-record-bytes too: it is no longer than what is held
        reader.lines(tail, len(tail), offset, final=True)
    return offset + len(tail)


def _read_parquet(piece: InputPiece, setup: ReadSetup) -> Iterator[DocBatch]:
    reader = _PieceReader(piece, setup)
    options = dataclasses.replace(setup.config.read, fmt=piece.fmt)
    for batch in read_batches(piece.path, options, 8192):
        reader.add_records(batch)
        reader.builder.counts["lines_read"] += batch.lines_read
        reader.builder.counts["bytes_read"] += batch.bytes_read
        if reader.builder.counts["bytes_read"] >= BATCH_BYTES:
            yield reader.take()
    yield reader.take()


def first_format(path: str, options: Any, max_line: int, limit: int | None = None
                 ) -> tuple[str | None, int]:
    """``(format, end offset)`` of the first line of ``path`` (decompressed) that auto-detection
    recognizes, skipping lines over ``max_line`` as pack does; ``(None, offset read)`` when no
    line does within ``limit`` bytes (None: the whole file). Streams: never holds more than a
    chunk and one line."""
    offset = 0
    carry = b""
    chunks = file_chunks(path)
    try:
        for chunk in chunks:
            if type(chunk) is not bytes:  # a damaged stream: nothing more is detected
                break
            lines = (carry + chunk).split(b"\n")
            carry = lines.pop()
            for line in lines:
                at = offset
                offset += len(line) + 1
                if len(line) > max_line:
                    continue
                try:
                    obj = orjson.loads(line[3:] if at == 0 and line.startswith(BOM) else line)
                except orjson.JSONDecodeError:
                    continue
                fmt = detect_format(obj, options.mapping or {}) if isinstance(obj, dict) else None
                if fmt:
                    return fmt, offset
            if len(carry) > max_line:  # a line too long to be a record: read past it
                offset += len(carry)
                carry = b""
            if limit is not None and offset >= limit:
                break
    finally:
        chunks.close()
    return None, offset


def read_documents(piece: InputPiece, setup: ReadSetup) -> Iterator[DocBatch]:
    """``piece`` as DocBatches of about ``BATCH_BYTES`` input bytes, in line order; every line
    counted once (``lines_read``), as a record, a blank line or a quarantine entry."""
    name = os.fspath(piece.path).lower()
    if name.endswith(".parquet"):
        return _read_parquet(piece, setup)
    if not name.endswith((".zst", ".gz")):
        return _read_plain(piece, setup)
    return _read_compressed(piece, setup)
