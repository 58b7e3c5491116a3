"""``boostpack export megatron PACKED OUT_PREFIX``: a packed dataset as another trainer's files."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a packed dataset in another trainer's format (Megatron-LM)",
        description="megatron: write OUT_PREFIX.bin and OUT_PREFIX.idx (Megatron-LM's indexed "
        "dataset, MMIDIDX v1) with one Megatron document per source document, re-assembled "
        "whole from its packed pieces (with the BOS/EOS it was packed with) and in document "
        "order (input order), whatever the packing strategy. Megatron builds its own samples "
        "from documents, so the packed rows, padding and loss masks are not exported.",
    )
    p.add_argument("kind", choices=["megatron"], help="the format to write")
    p.add_argument("path", metavar="PACKED", help="packed dataset directory")
    p.add_argument("prefix", metavar="OUT_PREFIX", help="output path without .bin/.idx")
    p.add_argument("--json", action="store_true", help="print the result as JSON to stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from boostpack.format.megatron import export_megatron
    from boostpack.runtime.console import emit_json, log

    result = export_megatron(args.path, args.prefix)
    if args.json:
        emit_json(result)
    else:
        log(f"exported {result['documents']:,} documents, {result['tokens']:,} tokens "
            f"({result['dtype']}) -> {result['bin']}, {result['idx']}")
    return 0
