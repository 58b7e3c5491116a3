"""The input-reading options every command that reads records shares (ingest, dedup, pack)."""

from __future__ import annotations

import argparse
from typing import Any

from boostpack.ingestion.options import FORMATS, MAX_RECORD_BYTES


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


def add_read_options(p: argparse.ArgumentParser) -> None:
    """``--format``, ``--map``, ``--requests``, ``--strict``: how input files are read."""
    g = p.add_argument_group("reading input")
    g.add_argument("--format", dest="fmt", choices=FORMATS, default="auto",
                   help="input format (default: detected per file from its first valid record)")
    g.add_argument("--map", dest="mapping", type=parse_mapping, metavar="NAME=FIELD,...",
                   help="take canonical fields from other input fields (dotted paths allowed), "
                   "e.g. question=prompt,answer=response")
    g.add_argument("--requests", action="append", default=[], metavar="FILE",
                   help="OpenAI batch input file to take questions from (joined on custom_id); "
                   "repeatable")
    g.add_argument("--strict", action="store_true",
                   help="fail on the first bad line instead of quarantining it")


def add_record_limit_option(p: argparse.ArgumentParser) -> None:
    """``--max-record-bytes`` for the stages that read through ``ReadOptions`` (pack has its
    own, applied as lines stream by)."""
    p.add_argument("--max-record-bytes", type=record_size, default=MAX_RECORD_BYTES,
                   metavar="SIZE", help="quarantine input lines longer than this as too_large, "
                   "unparsed (default 4M; 0: no limit)")


def record_size(text: str) -> int | None:
    from boostpack.runtime.sizes import parse_size

    return parse_size(text, "max record bytes", minimum=0) or None


def read_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The API keyword arguments those options map to."""
    return {"fmt": args.fmt, "mapping": args.mapping, "strict": args.strict,
            "requests": args.requests}
