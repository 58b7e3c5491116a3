"""The per-line classification: every physical input line becomes exactly one canonical record,
one quarantine entry (file, 1-based line, byte offset in the decompressed stream, reason, raw
line) or one counted blank line, so ``lines_read == len(records) + len(quarantined) + empty``
per batch.

One loop (``classify_runs``) serves a whole JSONL file (``read_jsonl``), a byte range of a plain
one (``read_range``) and a run of compressed units (``splits``), so a part yields exactly the
records and quarantine entries that the whole file yields for its lines, with the same byte
offsets. A damaged compressed unit keeps every complete line before the damage; the partial
line (possibly empty: a bad checksum) is ONE quarantine entry, ``truncated_stream`` or
``corrupt_stream``, and reading goes on with the next unit (``streams``). Memory is bounded by
``batch_lines`` and the decompression chunk (1 MiB; with ``read_ahead``, 8 chunks), plus the
longest line. Rows that arrive already parsed (``tables``) go through ``Classifier.add``.

Reason codes: ``invalid_utf8``, ``invalid_json``, ``invalid_value`` (a table row that is
corrupt or holds no Python value), ``not_an_object``, ``unknown_format``,
``missing_field:<f>``, ``wrong_type:<f>``, ``empty_field:<f>``, ``unclosed_think``,
``out_of_range:<f>``, ``batch_error:<code>``, ``no_request``, ``truncated_answer``,
``unserializable``, ``truncated_stream``, ``corrupt_stream``.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from boostpack.errors import InvalidInput
from boostpack.ingestion.formats import Converter, converter, detect_format
from boostpack.ingestion.options import TOO_LARGE_HEAD, ReadOptions
from boostpack.ingestion.quarantine import QuarantineEntry
from boostpack.ingestion.records import RecordError
from boostpack.ingestion.streams import (
    BOM,
    Gap,
    count_newlines,
    file_chunks,
    line_runs,
    prefetched,
    range_chunks,
)

__all__ = ["Batch", "Classifier", "ClassifyRuns", "classify_runs", "next_cut", "read_jsonl",
           "read_range"]

_NEVER = 1 << 62  # a stream offset no input reaches: no frame cuts to record


@dataclass(slots=True)
class Batch:
    """Up to ``batch_lines`` consecutive physical lines of one file, classified.

    ``raw[i]`` is the original bytes of ``records[i]``'s line without its terminator (``\\n`` or
    ``\\r\\n``) or a leading BOM; for a table, the row as compact JSON. ``lines[i]`` is its
    1-based line (table: row), ``offsets[i]`` its byte offset in the decompressed stream (-1
    for a row), as a quarantine entry would give them. ``format`` is the file's format once
    known. ``bytes_read`` counts one terminator per line, also for a final unterminated one
    (table: raw + 1).
    """

    file: str
    records: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    quarantined: list[QuarantineEntry] = field(default_factory=list)
    empty: int = 0
    lines_read: int = 0
    format: str = ""
    bytes_read: int = 0  # decompressed input bytes of these lines, terminators included


def _parse_reason(line: bytes) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    return "invalid_json"


class Classifier:
    """Turns parsed lines of one file into records or quarantine entries; detects the format.

    ``lines_before``: how many lines of the file precede line 1 of what is classified; asked
    only when ``strict`` fails on a line, whose message names its line in the whole file.
    """

    def __init__(self, file: str, options: ReadOptions,
                 lines_before: Callable[[], int] | None = None) -> None:
        self.file, self.options, self.lines_before = file, options, lines_before
        self.fmt = "" if options.fmt == "auto" else options.fmt
        self.convert: Converter | None = (
            None if options.fmt == "auto" else converter(options.fmt, options.mapping, options.requests,
                                                         options.answer_optional))

    def quarantine(self, batch: Batch, line_no: int, offset: int, reason: str, raw: bytes,
                   detail: str = "") -> None:
        if self.options.strict:
            if self.lines_before is not None:
                line_no += self.lines_before()
            raise InvalidInput(f"{self.file}:{line_no}: {reason}" + (f" ({detail})" if detail else ""))
        batch.quarantined.append(QuarantineEntry(
            self.file, line_no, offset, reason, raw.decode("utf-8", "surrogateescape"), detail))

    def too_large(self, batch: Batch, line_no: int, offset: int, line: bytes) -> None:
        """Quarantine a line over ``max_record_bytes`` unparsed, keeping its first bytes."""
        self.quarantine(batch, line_no, offset, "too_large", line[:TOO_LARGE_HEAD],
                        f"line of {len(line):,} bytes is over --max-record-bytes "
                        f"{self.options.max_record_bytes:,}; raw holds its first "
                        f"{TOO_LARGE_HEAD:,} bytes")

    def reject(self, batch: Batch, line_no: int, offset: int, exc: RecordError,
               raw: bytes) -> None:
        """Quarantine a line its converter refused."""
        self.quarantine(batch, line_no, offset, exc.reason, raw, exc.detail)

    def unparsed(self, batch: Batch, line_no: int, offset: int, line: bytes) -> None:
        """A line that is not JSON: blank (counted) or quarantined."""
        if not line or line.isspace():
            batch.empty += 1
        else:
            self.quarantine(batch, line_no, offset, _parse_reason(line), line)

    def add(self, batch: Batch, line_no: int, offset: int, obj: Any, raw: bytes) -> None:
        if not isinstance(obj, dict):
            self.quarantine(batch, line_no, offset, "not_an_object", raw)
            return
        convert = self.convert
        if convert is None:
            fmt = detect_format(obj, self.options.mapping or {})
            if fmt is None:
                self.quarantine(batch, line_no, offset, "unknown_format", raw)
                return
            self.fmt = batch.format = fmt
            convert = self.convert = converter(fmt, self.options.mapping, self.options.requests,
                                               self.options.answer_optional)
        try:
            record = convert(obj)
        except RecordError as exc:
            self.reject(batch, line_no, offset, exc, raw)
            return
        batch.records.append(record)
        batch.raw.append(raw)
        batch.lines.append(line_no)
        batch.offsets.append(offset)


def next_cut(at: int, cell_bytes: int, marks: Sequence[int]) -> int:
    """The first frame cut after stream offset ``at``: a multiple of ``cell_bytes`` or a mark."""
    cut = (at // cell_bytes + 1) * cell_bytes if cell_bytes else _NEVER
    i = bisect.bisect_right(marks, at)
    return min(cut, marks[i]) if i < len(marks) else cut


def classify_runs(cls: Classifier, runs: Iterable[list[bytes] | Gap], batch_lines: int,
              start: int = 0, cell_bytes: int = 0, cuts: list[int] | None = None,
              marks: Sequence[int] = ()) -> Iterator[Batch]:
    """Batches of the lines in ``runs`` (see ``streams.line_runs``), which start at offset
    ``start`` of the decompressed stream; lines are numbered from 1, a broken line (``Gap``)
    counting as one. ``cuts`` gets the record number (from 0) of the first record at or after
    each multiple of ``cell_bytes`` past ``start`` and each of the ascending stream offsets
    ``marks``."""
    path = cls.file
    batch, loads, decode_error = Batch(path, format=cls.fmt), orjson.loads, orjson.JSONDecodeError
    max_line = cls.options.max_record_bytes or sys.maxsize
    line_no = done = 0  # done: records in earlier batches
    offset = batch_start = start  # stream offsets of the current line and of the batch's first
    cut_at = next_cut(start, cell_bytes, marks)
    cuts = [] if cuts is None else cuts
    # The next offset where a line needs more than classifying: the stream's start (a BOM may
    # open it) or the next frame cut. One comparison per line covers both.
    watch = 0 if start == 0 else cut_at
    for run in runs:
        if type(run) is not list:  # a Gap: the broken line is one entry, then the next unit
            line_no += 1
            cls.quarantine(batch, line_no, offset, run.reason, run.partial, run.detail)
            batch.lines_read += 1
            offset += len(run.partial) + (run.skip or 0)  # a broken line has no terminator
            run = []
        i = 0
        while True:
            if batch.lines_read >= batch_lines:
                batch.bytes_read = offset - batch_start
                done += len(batch.records)
                yield batch
                batch = Batch(path, format=cls.fmt)
                batch_start = offset
            if i == len(run):
                break
            take = min(len(run) - i, batch_lines - batch.lines_read)
            # The per-line loop, inlined: this is where reading spends its Python time.
            convert = cls.convert
            records, raws, numbers, offsets = batch.records, batch.raw, batch.lines, batch.offsets
            for line in run[i:i + take]:
                line_no += 1
                at = offset
                offset += len(line) + 1
                if at >= watch:
                    if at >= cut_at:
                        cuts.append(done + len(records))
                        cut_at = next_cut(at, cell_bytes, marks)
                    if at == 0 and line.startswith(BOM):
                        line = line[3:]
                        at += 3  # offsets point at the bytes that ``raw`` holds
                    watch = cut_at
                if line.endswith(b"\r"):
                    line = line[:-1]
                if len(line) > max_line:
                    cls.too_large(batch, line_no, at, line)
                    continue
                try:
                    obj = loads(line)
                except decode_error:
                    cls.unparsed(batch, line_no, at, line)
                    continue
                if convert is None or type(obj) is not dict:
                    cls.add(batch, line_no, at, obj, line)  # detects the format
                    convert = cls.convert
                    continue
                try:
                    record = convert(obj)
                except RecordError as exc:
                    cls.reject(batch, line_no, at, exc, line)
                    continue
                records.append(record)
                raws.append(line)
                numbers.append(line_no)
                offsets.append(at)
            batch.lines_read += take
            i += take
    if batch.lines_read:
        # A final line without terminator was counted with one.
        batch.bytes_read = offset - batch_start
        yield batch


# What turns line runs into batches: ``classify_runs``, or a stage's own reader of the same
# signature that yields what it can take faster in its own form and the rest as Batches from
# ``classify_runs`` (dedup's ``deduplication.fastread``).
ClassifyRuns = Callable[..., Iterator[Any]]


def read_jsonl(path: str, options: ReadOptions, batch_lines: int, *,
               read_ahead: bool = False, classify: ClassifyRuns = classify_runs) -> Iterator[Any]:
    """A whole JSONL file (plain, ``.zst``, ``.gz``) as Batches of up to ``batch_lines`` lines.

    ``read_ahead``: read and decompress on a background thread (``streams.prefetched``).
    """
    chunks = file_chunks(path)
    runs = line_runs(prefetched(chunks) if read_ahead else chunks)
    yield from classify(Classifier(path, options), runs, batch_lines)


def read_range(path: str, start: int, end: int, options: ReadOptions, batch_lines: int, *,
               cell_bytes: int = 0, cuts: list[int] | None = None,
               classify: ClassifyRuns = classify_runs) -> Iterator[Any]:
    """Bytes ``[start, end)`` of a plain JSONL file, both line starts (or the file's end), as
    Batches: what ``read_jsonl`` yields for those lines, byte offsets included, except that
    line numbers count from the range's first line (1): the caller adds the lines of the
    ranges before (only a ``--strict`` error counts them here, to name the absolute line).

    ``options.fmt`` is the format to read with; under ``auto`` the range detects it from its
    own lines, so a range after the file's detecting line should get the file's format (as
    ``splits.plan_splits`` gives it). With ``cell_bytes``, ``cuts`` gets, per multiple of
    ``cell_bytes`` after ``start``, the number (from 0 within the range) of the first record
    at or after it: where a writer starts an output frame, the same whatever the ranges.
    """
    cls = Classifier(path, options, lambda: count_newlines(path, start))
    runs = line_runs(range_chunks(path, start, end))
    yield from classify(cls, runs, batch_lines, start, cell_bytes, cuts)
