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
    Chunk,
    Gap,
    count_newlines,
    file_chunks,
    prefetched,
    range_chunks,
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
                    detail: str = "") -> None:
        scratch = Batch(self.piece.path)
        self.cls.quarantine(scratch, line_no, offset, reason, raw, detail)  # raises if strict
        self.builder.quarantined += [e.to_json() for e in scratch.quarantined]

    def too_large(self, line_no: int, offset: int, head: bytes, length: int) -> None:
        self._quarantine(line_no, offset, "too_large", head[:_TOO_LARGE_HEAD],
                         f"line of {length:,} bytes is over --max-record-bytes "
                         f"{self.max_line:,}; raw holds its first {_TOO_LARGE_HEAD:,} bytes")

    def skipped(self, line: list[Any]) -> None:
        """A line over ``--max-record-bytes`` read past: ``[line number, offset, head,
        length]``; it counts as read, terminator included."""
        self.line_no += 1
        self.too_large(*line)
        self.builder.counts["lines_read"] += 1
        self.builder.counts["bytes_read"] += line[3] + 1

    def broken(self, gap: Gap, offset: int, partial: bytes) -> None:
        """The line a damaged compressed stream broke (``partial``: as far as it was read),
        one quarantine entry; the ``gap.skip`` bytes lost after it count as read."""
        self.line_no += 1
        self._quarantine(self.line_no, offset, gap.reason, partial, gap.detail)
        self.builder.counts["lines_read"] += 1
        self.builder.counts["bytes_read"] += len(partial) + (gap.skip or 0)

    def lines(self, data: bytes, stop: int, offset: int, final: bool) -> None:
        """Handle the complete lines in ``data[:stop]`` (each ends in ``\\n``, or ``final``:
        the file's unterminated last line), which start at stream ``offset``."""
        fast = self.setup.fast
        count = pos = 0
        if fast is not None and not final:
            # Lines before the file's format is known (normally line 1) take the classifier,
            # which detects it; the rest of the block the fast lane.
            while pos < stop and not fast.ready(self.cls):
                end = data.index(b"\n", pos)
                self.slow_lines([data[pos:end]], offset + pos, self.line_no + count)
                count += 1
                pos = end + 1
            if pos < stop and fast.ready(self.cls):
                count += fast.lines(self, data, pos, stop, offset, self.line_no + count)
                pos = stop
        if pos < stop:
            lines = data[pos:stop].split(b"\n")
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
                self.too_large(line_no, at, line, len(line))
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


def _chunks(piece: InputPiece) -> Iterator[Chunk]:
    chunks = file_chunks(piece.path) if piece.whole else range_chunks(piece.path, piece.start,
                                                                      piece.end)
    # Decompression and file reads release the GIL: on their own thread they overlap parsing.
    return prefetched(chunks)


def _read_jsonl(piece: InputPiece, setup: ReadSetup) -> Iterator[DocBatch]:
    reader = _PieceReader(piece, setup)
    carry = b""  # the unfinished last line of what was read
    offset = piece.start  # stream offset of ``carry``
    parts: list[bytes] = []  # chunks read since
    size = 0
    skipping: list[Any] | None = None  # [line number, offset, head, length] of a long line
    for chunk in _chunks(piece):
        if type(chunk) is not bytes:  # a Gap: the broken line is one entry, then the next unit
            if skipping is not None:
                reader.broken(chunk, skipping[1], skipping[2])
                end = skipping[1] + skipping[3]
            else:
                end = _finish(reader, b"".join([carry, *parts]), offset, chunk)
            carry, parts, size, skipping = b"", [], 0, None
            if chunk.skip is None:  # nothing after the damage can be placed
                break
            offset = end + chunk.skip
            continue
        if skipping is not None:  # inside a line over the limit: drop it as it streams by
            end = chunk.find(b"\n")
            skipping[3] += len(chunk) if end < 0 else end
            if end < 0:
                continue
            offset = skipping[1] + skipping[3] + 1
            reader.skipped(skipping)
            chunk, skipping = chunk[end + 1:], None
        parts.append(chunk)
        size += len(chunk)
        if size < _BLOCK_BYTES and len(carry) + size <= reader.max_line:
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
        if len(carry) > reader.max_line:
            skipping = [reader.line_no + 1, offset, carry[:_TOO_LARGE_HEAD], len(carry)]
            carry = b""
        if reader.builder.counts["bytes_read"] >= BATCH_BYTES:
            yield reader.take()
    else:
        if skipping is not None:  # the file ends inside a too-long line
            reader.skipped(skipping)
        else:
            _finish(reader, b"".join([carry, *parts]), offset, None)
    yield reader.take()


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
    elif len(tail) > reader.max_line:
        reader.skipped([reader.line_no + 1, offset, tail[:_TOO_LARGE_HEAD], len(tail)])
    elif tail:
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
    if os.fspath(piece.path).lower().endswith(".parquet"):
        return _read_parquet(piece, setup)
    return _read_jsonl(piece, setup)
