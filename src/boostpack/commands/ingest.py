"""``boostpack ingest INPUT... -o OUTDIR``: canonical record shards + quarantine + report."""

from __future__ import annotations

import argparse
from typing import Any

from boostpack.commands._output import add_overwrite_option
from boostpack.commands._reading import add_read_options, add_record_limit_option, read_kwargs
from boostpack.runtime.console import emit_json, log


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "ingest", help="read QA/chat/batch/alpaca/text files into canonical record shards",
        description="Read input files (JSONL, .zst, .gz, Parquet, Arrow; directories are searched, "
        "a Hugging Face save_to_disk directory gives its Arrow files) into "
        "OUTDIR/records/*.jsonl.zst; bad lines go to OUTDIR/quarantine/ with file, line and reason.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="input files or directories")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    add_read_options(p)
    add_record_limit_option(p)
    add_overwrite_option(p)
    p.add_argument("--shard-mb", type=int, default=256, metavar="MB",
                   help="uncompressed MB of records per output shard (default 256)")
    p.add_argument("--max-quarantine-share", type=_share, default=0.5, metavar="SHARE",
                   help="exit 1 (after writing everything) when a file has more than this share "
                   "of its non-blank lines quarantined, which almost always means a misread "
                   "file; 1 accepts any (default 0.5)")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.set_defaults(func=run)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text!r}")
    return value


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


def warning_lines(report: dict[str, Any]) -> list[str]:
    """A line per file over the report's quarantine share, and what to do about it."""
    mostly = report["mostly_quarantined"]
    return [f"ingest: warning: {share:.1%} of the non-blank lines of {path} were quarantined "
            f"(over --max-quarantine-share {mostly['max_share']:g}): the file is probably "
            "misread; check --format and --map against its quarantine entries"
            for path, share in mostly["files"].items()]


def run(args: argparse.Namespace) -> int:
    from boostpack.ingestion.pipeline import ingest

    report = ingest(args.inputs, args.output, shard_bytes=args.shard_mb << 20,
                    overwrite=args.overwrite, max_quarantine_share=args.max_quarantine_share,
                    max_record_bytes=args.max_record_bytes, **read_kwargs(args))
    for line in summary_lines(report) + warning_lines(report):
        log(line)
    seconds = report["seconds"]
    log(f"  {report['input_bytes'] / 1e6:,.1f} MB in {seconds:.2f} s "
        f"({report['input_bytes'] / 1e6 / max(seconds, 1e-9):,.1f} MB/s) -> {args.output}")
    if args.json:
        emit_json(report)
    over = len(report["mostly_quarantined"]["files"])
    if over:
        # Everything is written (and the report says which files): a pipeline stops here
        # instead of deduplicating and packing what is left of a misread input.
        log(f"boostpack ingest: error: {over} file(s) mostly quarantined; outputs are in "
            f"{args.output} (--max-quarantine-share 1 accepts them)")
        return 1
    return 0
