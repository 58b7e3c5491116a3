"""A dedup pipeline built on rensa, the baseline that ``compare_dedup_e2e.py`` runs on its data.

    RAYON_NUM_THREADS=1 python benchmarks/rensa_dedup.py OUTDIR INPUT... [--threshold 0.5]

What a user would write with rensa (Rust MinHash with Python bindings) for the same job as
``boostpack dedup``: read each JSONL or ``.jsonl.zst`` input, parse every line (orjson), take
the ``--fields`` joined by newlines, drop exact copies (Python's hash of the text, then the text
itself), MinHash the rest with rensa (``RMinHash.update`` of the text's word 3-grams, whitespace-split:
rensa hashes the tokens it is given, the shingling is the caller's; ``--num-perm``
permutations), query and fill an ``RMinHashLSH`` (bands
near boostpack's choice for the threshold) and verify candidates by estimated Jaccard, keep
the first of each group, and write kept and removed lines as zstd level-1 ``.jsonl.zst``, as
boostpack does. One process, one pass: the CPU time of that process is the figure compared.
Prints a JSON object with the counts and input bytes.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from pathlib import Path

import orjson
import zstandard
from rensa import RMinHash, RMinHashLSH

from boostpack.deduplication.lsh import optimal_params

# Word 3-grams: single words make unrelated QA look alike (a shared vocabulary), so the LSH
# returns most of the corpus as candidates; 3-grams are the usual choice for text near-dedup.
SHINGLE_WORDS = 3


def lines(path: Path) -> Iterator[bytes]:
    """The lines of a JSONL file, plain or zstd (every frame), without terminators."""
    with open(path, "rb") as f:
        reader = (zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)
                  if path.name.endswith(".zst") else f)
        pending = b""
        while chunk := reader.read(4 << 20):
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            yield from parts
        if pending:
            yield pending


def dedup(inputs: list[Path], out: Path, fields: list[str], threshold: float,
          num_perm: int) -> dict[str, int]:
    # rensa needs bands x rows == num_perm: the divisor nearest boostpack's band count
    # (25 x 5 at 0.5 and 128 gives 32 x 4: a little more recall, more candidates to verify).
    target, _ = optimal_params(threshold, num_perm)
    bands = min((b for b in range(1, num_perm + 1) if num_perm % b == 0),
                key=lambda b: (abs(b - target), -b))
    lsh = RMinHashLSH(threshold, num_perm, bands)
    seen: dict[str, int] = {}
    hashes: list[RMinHash] = []
    counts = {"input": 0, "input_bytes": 0, "kept": 0, "exact": 0, "near": 0, "invalid": 0}
    cctx = zstandard.ZstdCompressor(level=1)
    out.mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(inputs):
        with open(out / f"kept-{n}.jsonl.zst", "wb") as fk, open(out / f"removed-{n}.jsonl.zst", "wb") as fr, \
                cctx.stream_writer(fk) as kept, cctx.stream_writer(fr) as removed:
            for line in lines(path):
                counts["input_bytes"] += len(line) + 1
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    counts["invalid"] += 1
                    continue
                counts["input"] += 1
                text = "\n".join(v for v in (record.get(k) for k in fields) if isinstance(v, str))
                if seen.setdefault(text, len(hashes)) != len(hashes):
                    counts["exact"] += 1
                    removed.write(line + b"\n")
                    continue
                m = RMinHash(num_perm, 42)
                words = text.split()
                m.update([" ".join(words[i:i + SHINGLE_WORDS])
                          for i in range(max(1, len(words) - SHINGLE_WORDS + 1))])
                if any(hashes[c].jaccard(m) >= threshold for c in lsh.query(m)):
                    counts["near"] += 1
                    removed.write(line + b"\n")
                    hashes.append(m)  # keeps seen's indices aligned; never inserted in the LSH
                    continue
                lsh.insert(len(hashes), m)
                hashes.append(m)
                counts["kept"] += 1
                kept.write(line + b"\n")
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("inputs", type=Path, nargs="+")
    ap.add_argument("--fields", default="question,answer")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--num-perm", type=int, default=128)
    args = ap.parse_args()
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    counts = dedup(args.inputs, args.out, args.fields.split(","), args.threshold, args.num_perm)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
