"""Signature throughput of boostpack against rensa and datasketch, for both shingle schemes, in one
run on the same real documents, one core, as MB/s of raw UTF-8 per CPU second.

    python benchmarks/compare_signatures.py [--docs 73764] [--zh-docs 40000] [--repeat 7]

Per corpus (qa_en: English QA, question + newline + answer; zh_poetry: Chinese poems) and per
scheme (char 5-grams, the default; word 5-grams, the web-corpus scheme):
- boostpack: raw bytes -> normalization -> shingles -> 128-permutation affine32 signatures, one
  ``signatures_packed`` call per ``--chunk`` documents (as the dedup pipeline calls it).
- rensa: ``RMinHash.digest_matrix_from_flat_token_hashes`` (its bulk API) on the same documents'
  shingle hashes, pre-shingled (its shingling is not counted), RAYON_NUM_THREADS=1. rensa's
  R-MinHash is not datasketch's MinHash: a row with many tokens takes a bucketed sketch (after
  Fast Similarity Sketching, arXiv:1704.04370) whose cost per token falls below 128 multiply-adds,
  so its speed depends on document length.
- boostpack's permutation stage alone on the same pre-shingled hashes (``signatures_of_hashes``).
- the arithmetic limit: 128 multiply-add-min lanes per distinct shingle (a repeat needs no
  arithmetic) at the lane rate this CPU sustains, measured as the permutation loop on distinct
  random hashes; "share" is boostpack's end-to-end speed over that limit.
- the unit stage alone (normalization, word splitting, unit hashes: 1-grams and one
  permutation, so shingling and permutations cost next to nothing).
- by document length (``--length-groups``): qa_en sorted by length and cut into groups of equal
  count, boostpack against rensa per group: the ratio falls as documents grow, because rensa's
  cost per token does and an exact MinHash's does not.
- datasketch ``MinHash.update_batch`` (affine32, identity hashfunc) on the first
  ``--baseline-docs`` qa_en documents' shingle hashes, checked equal to boostpack's signatures.
Times are CPU seconds (``time.process_time``: the machine is shared, and CPU time is what "per
core" means); the engines alternate within each of ``--repeat`` rounds; speeds are medians, and
the ratio to rensa is the median of the ratios within each round (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# One thread each: rensa would otherwise fan out over Rayon workers, and idle OpenBLAS threads
# (loaded with numpy) spin and would be billed to process_time.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from boostpack import _minhash
from boostpack.deduplication.minhash import DEFAULT_NUM_PERM, DEFAULT_SEED, MinHasher
from qa_corpus import QA_EN, ZH_POETRY, packed, qa_docs, zh_docs

SCHEMES = (("char", 5), ("word", 5))
TARGET_MBPS = 250.0  # DESIGN.md, char 5-grams
TARGET_VS_DATASKETCH = 40.0
TARGET_VS_RENSA = {"char": 2.5, "word": 1.5}


def rounds(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """CPU seconds of each function in each of ``repeat`` rounds, the functions alternating
    within a round (so a disturbance on the shared machine hits them alike)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.process_time()
            fn()
            times[name].append(time.process_time() - start)
    return times


def medians(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median CPU seconds of each function over alternating rounds."""
    return {name: statistics.median(t) for name, t in rounds(fns, repeat).items()}


@dataclass
class LaneProbe:
    """The permutation loop on 2M distinct random hashes (2,000 documents of 1,000) and nothing
    else: its lanes per CPU second are the rate this CPU sustains for multiply-add-min."""

    hashes: np.ndarray
    offsets: np.ndarray

    @classmethod
    def make(cls) -> LaneProbe:
        rng = np.random.default_rng(0)
        hashes = rng.integers(0, 2**32, 2_000_000, dtype=np.uint64).astype(np.uint32)
        return cls(hashes, np.arange(0, 2_000_001, 1_000, dtype=np.uint64))

    def run(self) -> None:
        MinHasher(DEFAULT_NUM_PERM).signatures_of_hashes(self.hashes, self.offsets)

    def rate(self, seconds: float) -> float:
        return len(self.hashes) * DEFAULT_NUM_PERM / seconds


@dataclass
class Row:
    corpus: str
    scheme: str
    shingles: float  # per byte
    distinct: float  # per byte, repeats within a document counted once
    boostpack: float  # MB/s, raw text to signature
    rensa: float  # MB/s of the same text, pre-shingled
    ratio: float  # boostpack over rensa: the median of the ratios within each round
    perms_only: float  # MB/s, boostpack's permutation stage on the same pre-shingled input
    lanes: float  # multiply-add-min lanes per second, measured in the same rounds
    limit: float  # MB/s, the arithmetic limit


def compare_scheme(corpus: str, docs: list[bytes], shingle: str, ngram: int, probe: LaneProbe,
                   args: argparse.Namespace) -> Row:
    import rensa

    data, offsets = packed(docs)
    hasher = MinHasher(DEFAULT_NUM_PERM, ngram, DEFAULT_SEED, shingle)
    shingles = [hasher.shingle_hashes(d) for d in docs]
    counts = np.array([len(s) for s in shingles], dtype=np.uint64)
    flat32 = np.concatenate(shingles)
    flat64 = flat32.astype(np.uint64)
    rows = np.zeros(len(docs) + 1, dtype=np.uint64)
    np.cumsum(counts, out=rows[1:])
    distinct = sum(len(np.unique(s)) for s in shingles)
    chunk = args.chunk
    times = rounds({
        "boostpack": lambda: [hasher.signatures_packed(data, offsets[i:i + chunk + 1])
                              for i in range(0, len(docs), chunk)],
        "rensa": lambda: rensa.RMinHash.digest_matrix_from_flat_token_hashes(
            flat64, rows, DEFAULT_NUM_PERM, DEFAULT_SEED),
        "perms": lambda: hasher.signatures_of_hashes(flat32, rows),
        "lanes": probe.run,
    }, args.repeat)
    t = {name: statistics.median(v) for name, v in times.items()}
    ratio = statistics.median(r / b for r, b in zip(times["rensa"], times["boostpack"],
                                                    strict=True))
    mb = len(data) / 1e6
    lanes = probe.rate(t["lanes"])
    return Row(corpus, f"{shingle} {ngram}-grams", len(flat32) / len(data), distinct / len(data),
               mb / t["boostpack"], mb / t["rensa"], ratio, mb / t["perms"], lanes,
               lanes / (DEFAULT_NUM_PERM * distinct / len(data)) / 1e6)


def by_length(docs: list[bytes], buckets: int, repeat: int) -> None:
    """boostpack against rensa on ``docs`` cut into ``buckets`` groups by length: rensa's bulk
    API is a bucketed sketch whose cost per token falls as rows grow, an exact MinHash pays the
    same per distinct shingle at any length, so the ratio depends on the document lengths."""
    import rensa

    print(f"\nby document length (qa_en in {buckets} groups of equal count, shortest first):\n")
    print("| documents | mean bytes | scheme | boostpack MB/s | rensa bulk MB/s | boostpack / rensa |")
    print("|---|---|---|---|---|---|")
    docs = sorted(docs, key=len)
    step = -(-len(docs) // buckets)
    for lo in range(0, len(docs), step):
        group = docs[lo : lo + step]
        data, offsets = packed(group)
        for shingle, ngram in SCHEMES:
            hasher = MinHasher(DEFAULT_NUM_PERM, ngram, DEFAULT_SEED, shingle)
            shingles = [hasher.shingle_hashes(d) for d in group]
            rows = np.zeros(len(group) + 1, dtype=np.uint64)
            np.cumsum([len(s) for s in shingles], out=rows[1:])
            flat = np.concatenate(shingles).astype(np.uint64)
            times = rounds({
                "boostpack": lambda h=hasher, d=data, o=offsets: h.signatures_packed(d, o),
                "rensa": lambda f=flat, r=rows: rensa.RMinHash.digest_matrix_from_flat_token_hashes(
                    f, r, DEFAULT_NUM_PERM, DEFAULT_SEED),
            }, repeat)
            mb = len(data) / 1e6
            ratio = statistics.median(r / b for r, b in zip(times["rensa"], times["boostpack"],
                                                            strict=True))
            print(f"| {lo + 1:,}-{lo + len(group):,} | {len(data) / len(group):.0f} | "
                  f"{shingle} {ngram}-grams | {mb / statistics.median(times['boostpack']):.0f} | "
                  f"{mb / statistics.median(times['rensa']):.0f} | {ratio:.2f}x |")


def unit_stage(docs: list[bytes], shingle: str, repeat: int) -> float:
    """MB/s of normalization + splitting + unit hashes (1-grams, one permutation)."""
    data, offsets = packed(docs)
    hasher = MinHasher(num_perm=1, ngram=1, shingle=shingle)
    t = medians({"units": lambda: hasher.signatures_packed(data, offsets)}, repeat)["units"]
    return len(data) / t / 1e6


def datasketch_check(docs: list[bytes], shingle: str, ngram: int) -> tuple[float, float, bool]:
    """(datasketch MB/s, boostpack MB/s, equal) on these documents, pre-shingled for datasketch."""
    import datasketch

    hasher = MinHasher(DEFAULT_NUM_PERM, ngram, DEFAULT_SEED, shingle)
    values = [hasher.shingle_hashes(d).tolist() for d in docs]
    perms = datasketch.MinHash(DEFAULT_NUM_PERM, seed=DEFAULT_SEED, scheme="affine32").permutations
    out = []
    start = time.process_time()
    for row in values:
        m = datasketch.MinHash(DEFAULT_NUM_PERM, scheme="affine32", hashfunc=int,
                               permutations=perms)
        m.update_batch(row)
        out.append(m.hashvalues)
    t_ds = time.process_time() - start
    data, offsets = packed(docs)
    start = time.process_time()
    sigs = hasher.signatures_packed(data, offsets)
    t_bp = time.process_time() - start
    mb = len(data) / 1e6
    return mb / t_ds, mb / t_bp, bool((np.array(out) == sigs).all())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=QA_EN)
    parser.add_argument("--zh-corpus", type=Path, default=ZH_POETRY)
    parser.add_argument("--docs", type=int, default=73_764)
    parser.add_argument("--zh-docs", type=int, default=40_000)
    parser.add_argument("--baseline-docs", type=int, default=4_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=8192)
    parser.add_argument("--length-groups", type=int, default=4,
                        help="qa_en cut into this many groups by document length (0: skip)")
    args = parser.parse_args()

    corpora = {"qa_en": qa_docs(args.docs, args.corpus)}
    if args.zh_docs and args.zh_corpus.is_file():
        corpora["zh_poetry"] = zh_docs(args.zh_docs, args.zh_corpus)
    for name, docs in corpora.items():
        print(f"{name}: {len(docs):,} documents, {sum(map(len, docs)) / 1e6:.1f} MB of raw UTF-8")
    probe = LaneProbe.make()
    rows = [compare_scheme(name, docs, shingle, ngram, probe, args)
            for name, docs in corpora.items() for shingle, ngram in SCHEMES]
    rate = statistics.median(r.lanes for r in rows)
    print(f"unit hashing on this CPU: {_minhash.best_isa()}; one core, CPU seconds, "
          f"{args.repeat} alternating rounds (medians); multiply-add-min "
          f"rate {rate / 1e9:.1f} G lanes/s ({DEFAULT_NUM_PERM * 1e9 / rate:.2f} ns per "
          f"{DEFAULT_NUM_PERM}-lane shingle; each row's limit uses the rate of its own rounds)\n")
    print("| corpus | scheme | shingles/byte (distinct) | boostpack MB/s | rensa bulk MB/s "
          "(pre-shingled) | boostpack / rensa | boostpack perms only MB/s | arithmetic limit "
          "MB/s | share of limit |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.corpus} | {r.scheme} | {r.shingles:.3f} ({r.distinct:.3f}) | "
              f"{r.boostpack:.0f} | {r.rensa:.0f} | {r.ratio:.2f}x | "
              f"{r.perms_only:.0f} | {r.limit:.0f} | {r.boostpack / r.limit:.0%} |")

    if args.length_groups:
        by_length(corpora["qa_en"], args.length_groups, args.repeat)

    print("\nunit stage (normalization, word splitting, unit hashes):", ", ".join(
        f"{name} {shingle}s {unit_stage(docs, shingle, args.repeat):.0f} MB/s"
        for name, docs in corpora.items() for shingle in ("char", "word")))

    same_all = True
    base = corpora["qa_en"][: args.baseline_docs]
    for shingle, ngram in SCHEMES:
        ds, bp, same = datasketch_check(base, shingle, ngram)
        same_all &= same
        print(f"datasketch update_batch, {shingle} {ngram}-grams, first {len(base):,} qa_en "
              f"documents: {ds:.2f} MB/s, boostpack {bp / ds:.0f}x (target >= "
              f"{TARGET_VS_DATASKETCH:.0f}x); signatures equal: {same}")

    print("\ntargets on qa_en: " + "; ".join(
        f"{r.scheme} {r.ratio:.2f}x rensa (>= {TARGET_VS_RENSA[r.scheme[:4]]}x)"
        for r in rows if r.corpus == "qa_en"))
    char = next(r for r in rows if r.corpus == "qa_en" and r.scheme.startswith("char"))
    print(f"char 5-grams {char.boostpack:.0f} MB/s = {char.boostpack / TARGET_MBPS:.0%} of the "
          f"{TARGET_MBPS:.0f} MB/s per core target")
    return 0 if same_all else 1


if __name__ == "__main__":
    sys.exit(main())
