"""Ingest: input files in any supported format → canonical record shards, quarantine, report.

Output layout (every file written atomically; the directory is claimed first, see
``runtime.outdir``: an unfinished earlier run is cleared, a finished one of other inputs or
options refused unless ``overwrite``):

- ``records/part-00000.jsonl.zst`` …: canonical records as JSON lines, one zstd frame per shard
  (with content checksum), a new shard once ``shard_bytes`` of uncompressed JSON are written;
- ``quarantine/part-00000.jsonl`` …: one JSON line per quarantined input line (``file``, ``line``,
  ``offset``, ``reason``, ``raw``; ``detail`` and ``raw_base64`` when present);
- ``report.json``: counts (``lines == records + quarantined + empty``), ``by_reason``,
  ``by_file``, ``mostly_quarantined`` (the files with more than ``max_share`` of their
  non-blank lines quarantined, and that share) and the inputs. Byte-identical for the same inputs (no timings in it).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from boostpack.errors import InvalidInput
from boostpack.ingestion.options import MAX_RECORD_BYTES
from boostpack.ingestion.parts import PartWriter
from boostpack.ingestion.quarantine import QUARANTINE_DIR, QuarantineEntry, QuarantineWriter
from boostpack.ingestion.readers import Batch, ReadOptions, expand_inputs, read_batches
from boostpack.runtime.atomic import atomic_write
from boostpack.runtime.console import Progress
from boostpack.runtime.gc_threshold import fewer_collections
from boostpack.runtime.outdir import StageOutput, claim, file_states

RECORDS_DIR = "records"
REPORT_NAME = "report.json"
OUTPUT = StageOutput("ingest", finished=REPORT_NAME,
                     names=(RECORDS_DIR, QUARANTINE_DIR, REPORT_NAME))


def _input_files(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                 out: Path) -> list[str]:
    """The input files, none inside ``out`` (created here when missing)."""
    files = expand_inputs(inputs)
    if not files:
        raise InvalidInput("no input files (directories are searched for "
                           "*.jsonl, *.jsonl.zst, *.jsonl.gz, *.parquet, *.arrow)")
    out.mkdir(parents=True, exist_ok=True)
    resolved_out = out.resolve()
    for name in files:
        if Path(name).resolve().is_relative_to(resolved_out):
            raise InvalidInput(f"{name}: input lies inside the output directory {out}")
    return files


# The share of a file's non-blank lines past which ingest reports the file as mostly quarantined:
# a reader that rejects most of a file has almost always misread it (wrong --format or --map, a
# field of an unexpected type), not met a few bad lines.
MAX_QUARANTINE_SHARE = 0.5


def quarantined_share(stats: dict[str, Any]) -> float:
    """The share of a file's non-blank lines (``by_file`` entry) that were quarantined."""
    lines = stats["records"] + stats["quarantined"]
    return stats["quarantined"] / lines if lines else 0.0


class _Outputs:
    """Where ingest writes: record shards, quarantine, and the counts of the report."""

    def __init__(self, out: Path, shard_bytes: int) -> None:
        self.records = PartWriter(out / RECORDS_DIR, ".jsonl.zst", shard_bytes, compress=True)
        self.quarantine = QuarantineWriter(out, shard_bytes)
        self.by_reason: Counter[str] = Counter()
        self.input_bytes = 0

    def add(self, batch: Batch, stats: dict[str, Any]) -> None:
        """One batch's records and quarantine entries, counted in ``stats`` (``by_file``)."""
        dumps, write = orjson.dumps, self.records.write
        entries = batch.quarantined
        before = self.records.lines_written
        try:
            for record in batch.records:
                write(dumps(record, default=str))
        except TypeError:
            failed = self._write_rest(batch, self.records.lines_written - before)
            entries = sorted(entries + failed, key=lambda e: e.line)
        for entry in entries:
            self.quarantine.write(entry.to_json())
            self.by_reason[entry.reason] += 1
        unwritable = len(entries) - len(batch.quarantined)
        stats["format"] = batch.format
        stats["lines"] += batch.lines_read
        stats["records"] += len(batch.records) - unwritable
        stats["quarantined"] += len(entries)
        stats["empty"] += batch.empty
        self.input_bytes += batch.bytes_read

    def _write_rest(self, batch: Batch, done: int) -> list[QuarantineEntry]:
        """The records of ``batch`` from ``done`` on, after one that JSON cannot hold (orjson
        writes at most 254 levels of nesting; its parser reads deeper): the entries of those
        that fail (``unserializable``)."""
        failed = []
        for i in range(done, len(batch.records)):
            try:
                line = orjson.dumps(batch.records[i], default=str)
            except TypeError as exc:
                failed.append(QuarantineEntry(
                    batch.file, batch.lines[i], batch.offsets[i] if batch.offsets else -1,
                    "unserializable", batch.raw[i].decode("utf-8", "surrogateescape"), str(exc)))
                continue
            self.records.write(line)
        return failed

    def close(self) -> None:
        self.records.close()
        self.quarantine.close()

    def abort(self) -> None:
        self.records.abort()
        self.quarantine.abort()


@fewer_collections()
def ingest(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
           output_dir: str | os.PathLike[str], *, fmt: str = "auto",
           mapping: Mapping[str, str] | None = None, strict: bool = False,
           requests: Sequence[str | os.PathLike[str]] = (), shard_bytes: int = 256 << 20,
           batch_lines: int = 8192, max_quarantine_share: float = MAX_QUARANTINE_SHARE,
           max_record_bytes: int | None = MAX_RECORD_BYTES, progress: bool | None = None,
           overwrite: bool = False) -> dict[str, Any]:
    """Read ``inputs`` (files or directories), write canonical shards + quarantine + report.

    Returns the report (as written to ``report.json``) plus ``seconds`` and ``input_bytes``
    (decompressed) for throughput. ``shard_bytes`` is uncompressed JSON bytes per record shard.
    ``progress``: lines and MB read, on stderr (None: unless ``--quiet``).
    ``overwrite``: replace a finished ingest output made from other inputs or options (else
    refused).
    The report's ``mostly_quarantined`` names each file with more than
    ``max_quarantine_share`` of its non-blank lines quarantined, with that share: a misread
    file, almost always (the ``ingest`` command exits 1 on it; this function only reports).
    """
    if shard_bytes < 1:
        raise InvalidInput(f"shard_bytes must be >= 1, got {shard_bytes}")
    if not 0 <= max_quarantine_share <= 1:
        raise InvalidInput(f"max_quarantine_share must be within [0, 1], "
                           f"got {max_quarantine_share}")
    options = ReadOptions(fmt=fmt, mapping=dict(mapping) if mapping else None, strict=strict,
                          requests=tuple(requests), max_record_bytes=max_record_bytes)
    out = Path(output_dir)
    files = _input_files(inputs, out)
    fingerprint = {"inputs": file_states(files), "requests": file_states(options.requests),
                   "format": fmt, "mapping": options.mapping, "strict": strict,
                   "max_record_bytes": max_record_bytes,
                   "shard_bytes": shard_bytes, "max_quarantine_share": max_quarantine_share}
    with claim(out, stage=OUTPUT, fingerprint=fingerprint, overwrite=overwrite):
        return _ingest_files(files, out, options, shard_bytes, batch_lines,
                             max_quarantine_share, progress)


def _ingest_files(files: list[str], out: Path, options: ReadOptions, shard_bytes: int,
                  batch_lines: int, max_quarantine_share: float,
                  progress: bool | None) -> dict[str, Any]:
    start = time.perf_counter()
    outputs = _Outputs(out, shard_bytes)
    by_file: dict[str, dict[str, Any]] = {}
    try:
        with Progress("ingest", unit="lines", enabled=progress) as bar:
            for path in files:
                stats = by_file[path] = {"format": "", "lines": 0, "records": 0,
                                         "quarantined": 0, "empty": 0}
                for batch in read_batches(path, options, batch_lines):
                    outputs.add(batch, stats)
                    bar.update(batch.lines_read, batch.bytes_read)
        outputs.close()
    except BaseException:
        outputs.abort()
        raise

    totals = {k: sum(s[k] for s in by_file.values())
              for k in ("lines", "records", "quarantined", "empty")}
    report: dict[str, Any] = {
        "inputs": files,
        "format": options.fmt,
        "mapping": dict(options.mapping) if options.mapping else None,
        **totals,
        "by_reason": dict(sorted(outputs.by_reason.items())),
        "by_file": by_file,
        "mostly_quarantined": {
            "max_share": max_quarantine_share,
            "files": {p: round(quarantined_share(s), 4) for p, s in by_file.items()
                      if quarantined_share(s) > max_quarantine_share}},
        "record_shards": outputs.records.shards,
        "quarantine_shards": outputs.quarantine.shards,
    }
    with atomic_write(out / REPORT_NAME, "wb") as f:
        f.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    return {**report, "seconds": time.perf_counter() - start, "input_bytes": outputs.input_bytes}
