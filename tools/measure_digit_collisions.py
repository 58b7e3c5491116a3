"""Count the distinct QA items that the digit class ("class": every digit -> 0) merges into one
exact-dedup hash, i.e. the items exact dedup would drop only because their numbers differ; the
measurement behind boostpack's default ``digits="keep"`` (docs/dedup-defaults.md).

    python tools/measure_digit_collisions.py [--corpus ../shared/corpora/qa_en.jsonl.zst]

Documents are question, newline, answer of the items whose answer is a string. Items are grouped
by their "class" exact hash; inside a group, items with distinct "keep" hashes are distinct
texts, and every distinct text after the first of its group is counted as lost. Reports the
total, the per-task split (``task`` field) and a few colliding pairs.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import zstandard

from boostpack.deduplication.minhash import exact_hashes


def load(path: Path) -> tuple[list[str], list[str], int]:
    texts, tasks, total = [], [], 0
    with open(path, "rb") as fh:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        for line in reader:
            total += 1
            rec = json.loads(line)
            if isinstance(rec.get("question"), str) and isinstance(rec.get("answer"), str):
                texts.append(f"{rec['question']}\n{rec['answer']}")
                tasks.append(str(rec.get("task", "?")))
    return texts, tasks, total


def main() -> int:
    default_corpus = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "qa_en.jsonl.zst"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--examples", type=int, default=5)
    args = parser.parse_args()

    texts, tasks, total = load(args.corpus)
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    data = b"".join(encoded)
    offsets = np.cumsum([0, *map(len, encoded)]).astype(np.uint64)
    keep = exact_hashes(data, offsets, digits="keep")
    cls = exact_hashes(data, offsets, digits="class")

    # class hash -> {keep hash: first item with it}, in corpus order
    groups: dict[bytes, dict[bytes, int]] = {}
    for i in range(len(texts)):
        groups.setdefault(cls[i].tobytes(), {}).setdefault(keep[i].tobytes(), i)
    merged = [list(g.values()) for g in groups.values() if len(g) > 1]
    lost = [i for g in merged for i in g[1:]]

    print(f"{total} items, {len(texts)} with a string answer; "
          f"{len(set(map(bytes, keep)))} distinct texts with digits kept, "
          f"{len(set(map(bytes, cls)))} with the digit class")
    print(f'digits="class" merges {len(merged)} groups of distinct texts: '
          f"{len(lost)} distinct items lost to exact dedup")
    for task, count in Counter(tasks[i] for i in lost).most_common(10):
        print(f"  {count:6d}  {task}")
    for g in merged[: args.examples]:
        print(f"  e.g. {texts[g[0]][:60]!r} == {texts[g[1]][:60]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
