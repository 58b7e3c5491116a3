"""Streaming readers: JSONL (plain, ``.zst``, ``.gz``) and Parquet files → batches of canonical records.

Nothing is lost: every physical line of a file ends as exactly one canonical record, one
quarantine entry (file, 1-based line, byte offset in the decompressed stream, reason, raw line) or
one counted blank line, so ``lines_read == len(records) + len(quarantined) + empty`` per batch.
A corrupt or truncated compressed stream keeps every complete line before the damage; the rest
(the partial last line, possibly empty) is ONE quarantine entry, ``truncated_stream`` or
``corrupt_stream``. Memory is bounded by ``batch_lines`` and the decompression chunk (1 MiB;
with ``read_ahead``, 8 chunks), plus the longest line.

Reason codes: ``invalid_utf8``, ``invalid_json``, ``not_an_object``, ``unknown_format``,
``missing_field:<f>``, ``wrong_type:<f>``, ``empty_field:<f>``, ``unclosed_think``,
``batch_error:<code>``, ``truncated_answer``, ``truncated_stream``, ``corrupt_stream``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from boostpack.errors import InvalidInput
from boostpack.ingestion.fields import check_mapping
from boostpack.ingestion.formats import FORMATS, Converter, converter, detect_format
from boostpack.ingestion.quarantine import QuarantineEntry
from boostpack.ingestion.records import RecordError
from boostpack.ingestion.streams import (
    BOM,
    StreamBroken,
    file_chunks,
    iter_json_lines,
    line_runs,
    prefetched,
)

__all__ = [
    "FORMATS",
    "SUPPORTED_SUFFIXES",
    "Batch",
    "ReadOptions",
    "expand_inputs",
    "iter_json_lines",
    "read_batches",
    "read_records",
]

# Files a directory input expands to. Any file named explicitly is read as JSONL.
# Plain ".json" is left out: it is as often one JSON document (a report, a manifest) as JSONL.
SUPPORTED_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.zst", ".ndjson.zst", ".jsonl.gz", ".ndjson.gz",
                      ".parquet")


@dataclass(frozen=True)
class ReadOptions:
    """How to read input files.

    ``mapping``: canonical name -> input field (dotted paths reach into nested objects), e.g.
    ``{"question": "prompt", "answer": "response"}``. ``requests``: OpenAI batch *input* files,
    joined on ``custom_id`` to give batch output lines their question.
    """

    fmt: str = "auto"
    mapping: Mapping[str, str] | None = None
    strict: bool = False
    requests: tuple[str | os.PathLike[str], ...] = ()

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise InvalidInput(f"unknown format {self.fmt!r} (one of {', '.join(FORMATS)})")
        check_mapping(self.mapping)
        for path in self.requests:
            if not os.path.isfile(path):
                raise InvalidInput(f"{os.fspath(path)}: batch requests file not found")


@dataclass(slots=True)
class Batch:
    """Up to ``batch_lines`` consecutive physical lines of one file, classified.

    ``raw[i]`` is the original bytes of ``records[i]``'s line without its terminator (``\\n`` or
    ``\\r\\n``) or a leading BOM; for Parquet, the row as compact JSON. ``lines[i]`` is its
    1-based line (Parquet: row). ``format`` is the file's format once known. ``bytes_read``
    counts one terminator per line, also for a final unterminated one (Parquet: raw + 1).
    """

    file: str
    records: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
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


class _Classifier:
    """Turns parsed lines of one file into records or quarantine entries; detects the format."""

    def __init__(self, file: str, options: ReadOptions) -> None:
        self.file, self.options = file, options
        self.fmt = "" if options.fmt == "auto" else options.fmt
        self.convert: Converter | None = (
            None if options.fmt == "auto" else converter(options.fmt, options.mapping, options.requests))

    def quarantine(self, batch: Batch, line_no: int, offset: int, reason: str, raw: bytes,
                   detail: str = "") -> None:
        if self.options.strict:
            raise InvalidInput(f"{self.file}:{line_no}: {reason}" + (f" ({detail})" if detail else ""))
        batch.quarantined.append(QuarantineEntry(
            self.file, line_no, offset, reason, raw.decode("utf-8", "surrogateescape"), detail))

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
            convert = self.convert = converter(fmt, self.options.mapping, self.options.requests)
        try:
            record = convert(obj)
        except RecordError as exc:
            self.reject(batch, line_no, offset, exc, raw)
            return
        batch.records.append(record)
        batch.raw.append(raw)
        batch.lines.append(line_no)


def _read_jsonl(path: str, options: ReadOptions, batch_lines: int,
                read_ahead: bool) -> Iterator[Batch]:
    cls = _Classifier(path, options)
    batch = Batch(path, format=cls.fmt)
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    line_no = 0
    offset = batch_start = 0  # stream offsets of the current line and of the batch's first
    try:
        chunks = file_chunks(path)
        for run in line_runs(prefetched(chunks) if read_ahead else chunks):
            i = 0
            while i < len(run):
                take = min(len(run) - i, batch_lines - batch.lines_read)
                # The per-line loop, inlined: this is where reading spends its Python time.
                convert = cls.convert
                records, raws, numbers = batch.records, batch.raw, batch.lines
                for line in run[i:i + take]:
                    line_no += 1
                    at, size = offset, len(line) + 1
                    offset += size
                    if line.endswith(b"\r"):
                        line = line[:-1]
                    if line_no == 1 and line.startswith(BOM):
                        line = line[3:]
                        at += 3  # offsets point at the bytes that ``raw`` holds
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
                batch.lines_read += take
                i += take
                if batch.lines_read >= batch_lines:
                    batch.bytes_read = offset - batch_start
                    yield batch
                    batch = Batch(path, format=cls.fmt)
                    batch_start = offset
    except StreamBroken as exc:
        line_no += 1
        cls.quarantine(batch, line_no, exc.offset, exc.reason, exc.partial, exc.detail)
        batch.lines_read += 1
        offset = exc.offset + len(exc.partial)  # a partial line has no terminator
    if batch.lines_read:
        batch.bytes_read = offset - batch_start
        yield batch


def _read_parquet(path: str, options: ReadOptions, batch_lines: int) -> Iterator[Batch]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as exc:
        raise InvalidInput(f"{path}: reading Parquet needs pyarrow: "
                           "pip install 'boostpack[parquet]'") from exc
    import pyarrow as pa  # type: ignore[import-untyped]

    cls = _Classifier(path, options)
    row = 0
    try:
        pf = pq.ParquetFile(path)
        for table in pf.iter_batches(batch_size=batch_lines):
            batch = Batch(path, format=cls.fmt)
            for obj in table.to_pylist():
                row += 1
                raw = orjson.dumps(obj, default=str)
                cls.add(batch, row, -1, obj, raw)
                batch.lines_read += 1
                batch.bytes_read += len(raw) + 1
                batch.format = cls.fmt
            if batch.lines_read:
                yield batch
    except (pa.ArrowException, OSError) as exc:
        # An unreadable file or row group: what was read stays, the rest is one entry.
        batch = Batch(path, format=cls.fmt)
        cls.quarantine(batch, row + 1, -1, "corrupt_stream", b"", str(exc))
        batch.lines_read = 1
        yield batch


def read_batches(path: str | os.PathLike[str], options: ReadOptions = ReadOptions(),
                 batch_lines: int = 8192, *, read_ahead: bool = False) -> Iterator[Batch]:
    """Stream one file as batches of up to ``batch_lines`` physical lines (Parquet: rows).

    ``read_ahead``: read and decompress JSONL on a background thread (up to 8 chunks ahead),
    for a caller whose own thread is the bottleneck and who has a core to spare; the batches
    are the same either way.
    """
    if batch_lines < 1:
        raise InvalidInput(f"batch_lines must be >= 1, got {batch_lines}")
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise InvalidInput(f"{name}: not a file")
    if name.lower().endswith(".parquet"):
        return _read_parquet(name, options, batch_lines)
    return _read_jsonl(name, options, batch_lines, read_ahead)


def expand_inputs(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    """Input paths with each directory replaced by its supported files (recursive, sorted).

    Skipped: directories named ``quarantine`` (an ingest output's rejects are not records) or
    starting with ``.`` or ``_`` (side files, e.g. a batch requests file), and files starting
    with ``.`` (temp files of an atomic write).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[str] = []
    for p in paths:
        name = os.fspath(p)
        if os.path.isdir(name):
            found = []
            for root, dirs, files in os.walk(name):
                dirs[:] = [d for d in dirs if not d.startswith((".", "_")) and d != "quarantine"]
                found += [os.path.join(root, f) for f in files
                          if not f.startswith(".") and f.lower().endswith(SUPPORTED_SUFFIXES)]
            out += sorted(found)
        elif os.path.exists(name):
            out.append(name)
        else:
            raise InvalidInput(f"{name}: no such file or directory")
    return out


def read_records(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                 options: ReadOptions = ReadOptions()) -> Iterator[dict[str, Any]]:
    """Every canonical record of ``paths`` (files or directories), in order; bad lines skipped
    (use ``read_batches`` to see them, or ``strict=True`` to fail on them)."""
    for path in expand_inputs(paths):
        for batch in read_batches(path, options):
            yield from batch.records
