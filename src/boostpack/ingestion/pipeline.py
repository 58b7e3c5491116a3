"""Ingest: input files in any supported format → canonical record shards, quarantine, report.

Output layout (every file written atomically; stale parts of an earlier run are removed first):

- ``records/part-00000.jsonl.zst`` …: canonical records as JSON lines, one zstd frame per shard
  (with content checksum), a new shard once ``shard_bytes`` of uncompressed JSON are written;
- ``quarantine/part-00000.jsonl`` …: one JSON line per quarantined input line (``file``, ``line``,
  ``offset``, ``reason``, ``raw``; ``detail`` and ``raw_base64`` when present);
- ``report.json``: counts (``lines == records + quarantined + empty``), ``by_reason``,
  ``by_file`` and the inputs. Byte-identical for the same inputs (no timings in it).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import orjson
import zstandard

from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import ReadOptions, expand_inputs, read_batches
from boostpack.runtime.atomic import atomic_write, sweep_temp_files
from boostpack.runtime.console import Progress
from boostpack.runtime.gc_threshold import fewer_collections

RECORDS_DIR = "records"
QUARANTINE_DIR = "quarantine"
REPORT_NAME = "report.json"
_WRITE_BUFFER = 1 << 20
# Ingest output is an intermediate: on qa_en, level 1 compressed 2.1x faster than level 3 for
# shards 12% larger (5.1x vs 5.8x ratio), and compression was the largest single cost of ingest.
_ZSTD_LEVEL = 1


class ShardWriter:
    """Writes JSON lines into ``part-NNNNN<suffix>`` files of about ``shard_bytes`` (uncompressed).

    Sharding by uncompressed bytes keeps shard boundaries independent of compression settings.
    """

    def __init__(self, directory: Path, suffix: str, shard_bytes: int, compress: bool) -> None:
        self.directory, self.suffix = directory, suffix
        self.shard_bytes, self.compress = shard_bytes, compress
        self.shards: list[dict[str, Any]] = []
        self._ctx: Any = None
        self._out: IO[bytes] | None = None
        self._bytes = self._lines = 0
        self._buf: list[bytes] = []
        self._buf_bytes = 0

    def _open(self) -> None:
        name = f"part-{len(self.shards):05d}{self.suffix}"
        self._ctx = atomic_write(self.directory / name, "wb")
        f = self._ctx.__enter__()
        if self.compress:
            cctx = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, write_checksum=True)
            self._out = cctx.stream_writer(f, closefd=False)
        else:
            self._out = f
        self.shards.append({"path": f"{self.directory.name}/{name}"})
        self._bytes = self._lines = 0

    def write(self, line: bytes) -> None:
        """Append one line (without terminator)."""
        if self._out is None:
            self._open()
        # Buffered: one compressor call per ~1 MiB, not per line (per-line writes cost as much
        # as parsing did, measured on qa_en).
        self._buf.append(line)
        self._buf_bytes += len(line) + 1
        self._bytes += len(line) + 1
        self._lines += 1
        if self._buf_bytes >= _WRITE_BUFFER:
            self._flush()
        if self._bytes >= self.shard_bytes:
            self.close()

    def _flush(self) -> None:
        if self._buf:
            assert self._out is not None
            self._out.write(b"\n".join(self._buf))
            self._out.write(b"\n")
            self._buf, self._buf_bytes = [], 0

    def close(self) -> None:
        """Finish the open shard (if any): flush the frame, fsync, rename."""
        if self._out is None:
            return
        self._flush()
        if self.compress:
            self._out.flush(zstandard.FLUSH_FRAME)  # type: ignore[call-arg]
        self._ctx.__exit__(None, None, None)
        shard = self.shards[-1]
        shard.update(lines=self._lines, bytes=self._bytes,
                     file_bytes=(self.directory.parent / shard["path"]).stat().st_size)
        self._out = self._ctx = None

    def abort(self) -> None:
        """Drop the open shard's temp file (after an error)."""
        self._buf, self._buf_bytes = [], 0
        if self._ctx is not None:
            self._ctx.__exit__(InvalidInput, InvalidInput("aborted"), None)
            self._out = self._ctx = None


def _clear_previous(output_dir: Path) -> None:
    sweep_temp_files(output_dir)
    for sub, pattern in ((RECORDS_DIR, "part-*.jsonl.zst"), (QUARANTINE_DIR, "part-*.jsonl")):
        for p in (output_dir / sub).glob(pattern):
            p.unlink()
    (output_dir / REPORT_NAME).unlink(missing_ok=True)


@fewer_collections()
def ingest(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
           output_dir: str | os.PathLike[str], *, fmt: str = "auto",
           mapping: Mapping[str, str] | None = None, strict: bool = False,
           requests: Sequence[str | os.PathLike[str]] = (), shard_bytes: int = 256 << 20,
           batch_lines: int = 8192, progress: bool | None = None) -> dict[str, Any]:
    """Read ``inputs`` (files or directories), write canonical shards + quarantine + report.

    Returns the report (as written to ``report.json``) plus ``seconds`` and ``input_bytes``
    (decompressed) for throughput. ``shard_bytes`` is uncompressed JSON bytes per record shard.
    ``progress``: draw a progress line on stderr (default: when stderr is a terminal).
    """
    if shard_bytes < 1:
        raise InvalidInput(f"shard_bytes must be >= 1, got {shard_bytes}")
    options = ReadOptions(fmt=fmt, mapping=dict(mapping) if mapping else None, strict=strict,
                          requests=tuple(requests))
    files = expand_inputs(inputs)
    if not files:
        raise InvalidInput("no input files (directories are searched for "
                           "*.jsonl, *.jsonl.zst, *.jsonl.gz, *.parquet)")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    resolved_out = out.resolve()
    for name in files:
        if Path(name).resolve().is_relative_to(resolved_out):
            raise InvalidInput(f"{name}: input lies inside the output directory {out}")
    _clear_previous(out)

    start = time.perf_counter()
    records = ShardWriter(out / RECORDS_DIR, ".jsonl.zst", shard_bytes, compress=True)
    quarantine = ShardWriter(out / QUARANTINE_DIR, ".jsonl", shard_bytes, compress=False)
    by_reason: Counter[str] = Counter()
    by_file: dict[str, dict[str, Any]] = {}
    input_bytes = 0
    dumps = orjson.dumps
    try:
        with Progress("ingest", unit="lines", enabled=progress) as bar:
            for path in files:
                stats = by_file[path] = {"format": "", "lines": 0, "records": 0,
                                         "quarantined": 0, "empty": 0}
                for batch in read_batches(path, options, batch_lines):
                    for record in batch.records:
                        records.write(dumps(record, default=str))
                    for entry in batch.quarantined:
                        quarantine.write(entry.to_json())
                        by_reason[entry.reason] += 1
                    stats["format"] = batch.format
                    stats["lines"] += batch.lines_read
                    stats["records"] += len(batch.records)
                    stats["quarantined"] += len(batch.quarantined)
                    stats["empty"] += batch.empty
                    input_bytes += batch.bytes_read
                    bar.update(batch.lines_read)
        records.close()
        quarantine.close()
    except BaseException:
        records.abort()
        quarantine.abort()
        raise

    totals = {k: sum(s[k] for s in by_file.values())
              for k in ("lines", "records", "quarantined", "empty")}
    report: dict[str, Any] = {
        "inputs": files,
        "format": fmt,
        "mapping": dict(mapping) if mapping else None,
        **totals,
        "by_reason": dict(sorted(by_reason.items())),
        "by_file": by_file,
        "record_shards": records.shards,
        "quarantine_shards": quarantine.shards,
    }
    with atomic_write(out / REPORT_NAME, "wb") as f:
        f.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    return {**report, "seconds": time.perf_counter() - start, "input_bytes": input_bytes}

