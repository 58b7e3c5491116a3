"""``boostpack ingest INPUT... -o OUTDIR``: canonical record shards + quarantine + report."""

from __future__ import annotations

import argparse
from typing import Any

from boostpack.console import emit_json, log
from boostpack.formats import FORMATS


def parse_mapping(text: str) -> dict[str, str]:
    """``"question=prompt,answer=meta.response"`` -> ``{"question": "prompt", ...}``."""
    mapping: dict[str, str] = {}
    for item in text.split(","):
        name, sep, source = item.partition("=")
        if not sep or not name.strip() or not source.strip():
            raise argparse.ArgumentTypeError(
                f"expected CANONICAL=FIELD[,CANONICAL=FIELD...], got {text!r}")
        mapping[name.strip()] = source.strip()
    return mapping


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "ingest", help="read QA/chat/batch/alpaca/text files into canonical record shards",
        description="Read input files (JSONL, .zst, .gz, Parquet; directories are searched) into "
        "OUTDIR/records/*.jsonl.zst; bad lines go to OUTDIR/quarantine/ with file, line and reason.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="input files or directories")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    p.add_argument("--format", dest="fmt", choices=FORMATS, default="auto",
                   help="input format (default: detected per file from its first valid record)")
    p.add_argument("--map", dest="mapping", type=parse_mapping, metavar="NAME=FIELD,...",
                   help="take canonical fields from other input fields (dotted paths allowed), "
                   "e.g. question=prompt,answer=response")
    p.add_argument("--requests", action="append", default=[], metavar="FILE",
                   help="OpenAI batch input file to take questions from (joined on custom_id); "
                   "repeatable")
    p.add_argument("--strict", action="store_true",
                   help="fail on the first bad line instead of quarantining it")
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
    from boostpack.ingestion import ingest

    report = ingest(args.inputs, args.output, fmt=args.fmt, mapping=args.mapping,
                    strict=args.strict, requests=args.requests, shard_bytes=args.shard_mb << 20)
    for line in summary_lines(report):
        log(line)
    seconds = report["seconds"]
    log(f"  {report['input_bytes'] / 1e6:,.1f} MB in {seconds:.2f} s "
        f"({report['input_bytes'] / 1e6 / max(seconds, 1e-9):,.1f} MB/s) -> {args.output}")
    if args.json:
        emit_json(report)
    return 0
