"""Ingest: input files in any supported format → canonical record shards, quarantine, report.

Output layout (every file written atomically; the directory is claimed first, see
``runtime.outdir``: an unfinished earlier run is cleared, a finished one of other inputs or
options refused unless ``overwrite``):

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
from typing import Any

import orjson

from boostpack.errors import InvalidInput
from boostpack.ingestion.parts import PartWriter
from boostpack.ingestion.quarantine import QUARANTINE_DIR, QuarantineWriter
from boostpack.ingestion.readers import ReadOptions, expand_inputs, read_batches
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
                           "*.jsonl, *.jsonl.zst, *.jsonl.gz, *.parquet)")
    out.mkdir(parents=True, exist_ok=True)
    resolved_out = out.resolve()
    for name in files:
        if Path(name).resolve().is_relative_to(resolved_out):
            raise InvalidInput(f"{name}: input lies inside the output directory {out}")
    return files


@fewer_collections()
def ingest(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
           output_dir: str | os.PathLike[str], *, fmt: str = "auto",
           mapping: Mapping[str, str] | None = None, strict: bool = False,
           requests: Sequence[str | os.PathLike[str]] = (), shard_bytes: int = 256 << 20,
           batch_lines: int = 8192, progress: bool | None = None,
           overwrite: bool = False) -> dict[str, Any]:
    """Read ``inputs`` (files or directories), write canonical shards + quarantine + report.

    Returns the report (as written to ``report.json``) plus ``seconds`` and ``input_bytes``
    (decompressed) for throughput. ``shard_bytes`` is uncompressed JSON bytes per record shard.
    ``progress``: lines and MB read, on stderr (None: unless ``--quiet``).
    ``overwrite``: replace a finished ingest output made from other inputs or options (else
    refused).
    """
    if shard_bytes < 1:
        raise InvalidInput(f"shard_bytes must be >= 1, got {shard_bytes}")
    options = ReadOptions(fmt=fmt, mapping=dict(mapping) if mapping else None, strict=strict,
                          requests=tuple(requests))
    out = Path(output_dir)
    files = _input_files(inputs, out)
    fingerprint = {"inputs": file_states(files), "requests": file_states(options.requests),
                   "format": fmt, "mapping": options.mapping, "strict": strict,
                   "shard_bytes": shard_bytes}
    with claim(out, stage=OUTPUT, fingerprint=fingerprint, overwrite=overwrite):
        return _ingest_files(files, out, options, shard_bytes, batch_lines, progress)


def _ingest_files(files: list[str], out: Path, options: ReadOptions, shard_bytes: int,
                  batch_lines: int, progress: bool | None) -> dict[str, Any]:
    start = time.perf_counter()
    records = PartWriter(out / RECORDS_DIR, ".jsonl.zst", shard_bytes, compress=True)
    quarantine = QuarantineWriter(out, shard_bytes)
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
                    bar.update(batch.lines_read, batch.bytes_read)
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
        "format": options.fmt,
        "mapping": dict(options.mapping) if options.mapping else None,
        **totals,
        "by_reason": dict(sorted(by_reason.items())),
        "by_file": by_file,
        "record_shards": records.shards,
        "quarantine_shards": quarantine.shards,
    }
    with atomic_write(out / REPORT_NAME, "wb") as f:
        f.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    return {**report, "seconds": time.perf_counter() - start, "input_bytes": input_bytes}

