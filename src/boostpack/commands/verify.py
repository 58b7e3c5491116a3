"""``boostpack verify OUTDIR``: recompute every checksum and invariant of a packed dataset."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "verify",
        help="check a packed dataset's checksums and structure",
        description="Recompute the xxh3 of every file listed in OUTDIR/manifest.json and check "
        "the document index (monotone, pieces within seq_len, no overlaps, padding after the "
        "last piece) and the totals. Exits 1 naming the first bad shard.",
    )
    p.add_argument("path", metavar="OUTDIR", help="packed dataset directory")
    p.add_argument("--json", action="store_true", help="print the result as JSON to stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from boostpack.format.verify import verify
    from boostpack.runtime.console import emit_json, log

    result = verify(args.path)
    if args.json:
        emit_json(result)
    else:
        log(f"ok: {result['shards']} shard(s), {result['sequences']:,} sequences, "
            f"{result['tokens']:,} tokens, {result['documents']:,} documents ({result['path']})")
    return 0
