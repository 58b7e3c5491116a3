"""Make a large ``.jsonl`` or ``.jsonl.zst`` input of realistic synthetic QA, for memory and
throughput runs of ingest and dedup.

The records come from ``boostpack.demo.sample.stream`` (no data files needed): ~2.1 KB each,
nearly all distinct, with 3% exact and 7% paraphrase-like near copies, deterministic for
``--seed``, written with bounded memory; a ``.zst`` output is zstd frames of 16 MB that record
their sizes, so ingest and dedup split it into tasks. Give the size as decompressed megabytes
(``--mb``) or as a record count (``--records``).

Measure peak RSS and MB/s of decompressed input:

    python tools/make_large_input.py /tmp/large.jsonl.zst --mb 1024
    /usr/bin/time -v boostpack ingest /tmp/large.jsonl.zst -o /tmp/large-out --json \\
        | grep -E '"(lines|records|quarantined|input_bytes|seconds)"'
    # "Maximum resident set size" in the time -v output is the peak RSS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from boostpack.demo.sample.stream import write_qa


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="output .jsonl or .jsonl.zst file")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--mb", type=int, default=1024, help="decompressed size in MB (10^6 B)")
    size.add_argument("--records", type=int, help="number of records instead of --mb")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.records is not None:
        made = write_qa(args.output, args.records, args.seed)
    else:
        made = write_qa(args.output, 1 << 40, args.seed, max_bytes=args.mb * 1_000_000)
    print(f"{args.output}: {made['records']:,} records ({made['exact']:,} exact and "
          f"{made['near']:,} near copies), {made['bytes'] / 1e6:,.0f} MB decompressed, "
          f"{args.output.stat().st_size / 1e6:,.0f} MB on disk", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
