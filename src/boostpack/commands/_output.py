"""The output-directory option every stage command shares (ingest, dedup, pack)."""

from __future__ import annotations

import argparse


def add_overwrite_option(p: argparse.ArgumentParser) -> None:
    """``--overwrite``: the ``overwrite=True`` of the stage's API call (``runtime.outdir``)."""
    p.add_argument("--overwrite", action="store_true",
                   help="replace a finished result in OUTDIR made from other inputs or options "
                   "(refused otherwise; a directory holding files boostpack did not write is "
                   "always refused)")
