"""``boostpack ingest INPUT... -o OUTDIR``: canonical record shards + quarantine + report."""

from __future__ import annotations

import argparse
from typing import Any

from boostpack.commands._output import add_overwrite_option
from boostpack.commands._reading import add_read_options, read_kwargs
from boostpack.runtime.console import emit_json, log


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "ingest", help="read QA/chat/batch/alpaca/text files into canonical record shards",
        description="Read input files (JSONL, .zst, .gz, Parquet; directories are searched) into "
        "OUTDIR/records/*.jsonl.zst; bad lines go to OUTDIR/quarantine/ with file, line and reason.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="input files or directories")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    add_read_options(p)
    add_overwrite_option(p)
    p.add_argument("--shard-mb", type=int, default=256, metavar="MB",
                   help="uncompressed MB of records per output shard (default 256)")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.set_defaults(func=run)


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The human summary of an ingest report."""
    lines = [f"ingest: {report['lines']:,} lines from {len(report['inputs'])} file(s): "
             f"{report['records']:,} records, {report['quarantined']:,} quarantined, "
             f"{report['empty']:,} empty"]
    for path, s in report["by_file"].items():
        lines.append(f"  {path} [{s['format'] or '?'}]: {s['records']:,} records, "
                     f"{s['quarantined']:,} quarantined, {s['empty']:,} empty")
    for reason, n in report["by_reason"].items():
        lines.append(f"  quarantined {reason}: {n:,}")
    return lines


def run(args: argparse.Namespace) -> int:
    from boostpack.ingestion.pipeline import ingest

    report = ingest(args.inputs, args.output, shard_bytes=args.shard_mb << 20,
                    overwrite=args.overwrite, **read_kwargs(args))
    for line in summary_lines(report):
        log(line)
    seconds = report["seconds"]
    log(f"  {report['input_bytes'] / 1e6:,.1f} MB in {seconds:.2f} s "
        f"({report['input_bytes'] / 1e6 / max(seconds, 1e-9):,.1f} MB/s) -> {args.output}")
    if args.json:
        emit_json(report)
    return 0
