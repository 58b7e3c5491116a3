"""Signature throughput of boostpack against datasketch and rensa, in one run on the same real
documents (qa_en: question, newline, answer), single thread, as MB/s of raw UTF-8 per CPU second.

    python benchmarks/compare_signatures.py [--docs 73764] [--baseline-docs 4000] [--repeat 3]

- boostpack: raw bytes -> normalization -> char 5-gram shingles -> 128-permutation affine32
  signatures, one ``signatures_packed`` call per ``--chunk`` documents (as the streaming dedup
  pipeline calls it; one call for everything mostly adds page faults for a 38 MB output). The
  chunks' signatures are kept as they come, as the pipeline writes them; joining them into one
  array (a 38 MB copy, about 5% of the time) is left out of the timing.
- datasketch 2.0 ``MinHash.update_batch`` per document (affine32, shared permutations, identity
  hashfunc) on shingle hashes precomputed in Python (boostpack's own, so the inputs are the same
  and only the MinHash step is timed; the signatures are checked equal).
- rensa ``RMinHash.digest_matrix_from_flat_token_hashes`` (its bulk API) on the same pre-shingled
  hashes; RAYON_NUM_THREADS=1 keeps it on one thread.
Times are CPU seconds (``time.process_time``), best of ``--repeat``: the machine is shared, and CPU
time is what "per core" means. The baselines run on the first ``--baseline-docs`` documents.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# One thread each: rensa would otherwise fan out over Rayon workers, and idle OpenBLAS threads
# (loaded with numpy) spin and would be billed to process_time.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from boostpack.deduplication.minhash import DEFAULT_NGRAM, DEFAULT_NUM_PERM, DEFAULT_SEED, MinHasher
from qa_corpus import QA_EN, best_cpu_seconds, packed, qa_docs

TARGET_MBPS = 250.0
TARGET_VS_DATASKETCH = 40.0
TARGET_VS_RENSA = 1.5


def main() -> int:
    default_corpus = QA_EN
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--docs", type=int, default=73_764)
    parser.add_argument("--baseline-docs", type=int, default=4_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=8192)
    args = parser.parse_args()

    import datasketch
    import rensa

    docs = qa_docs(args.docs, args.corpus)
    data, offsets = packed(docs)
    hasher = MinHasher(DEFAULT_NUM_PERM, DEFAULT_NGRAM, DEFAULT_SEED, "char")
    print(f"{len(docs)} docs, {len(data) / 1e6:.1f} MB raw UTF-8; {hasher!r}")

    def run_boostpack() -> list[np.ndarray]:
        return [hasher.signatures_packed(data, offsets[i:i + args.chunk + 1])
                for i in range(0, len(docs), args.chunk)]

    t_bp = best_cpu_seconds(run_boostpack, args.repeat)
    bp_sigs = np.concatenate(run_boostpack())
    mbps_bp = len(data) / t_bp / 1e6

    base_docs = docs[: args.baseline_docs]
    base_bytes = sum(map(len, base_docs))
    shingles = [hasher.shingle_hashes(d) for d in base_docs]
    shingle_lists = [s.tolist() for s in shingles]
    perms = datasketch.MinHash(DEFAULT_NUM_PERM, seed=DEFAULT_SEED, scheme="affine32").permutations

    def run_datasketch() -> list[np.ndarray]:
        out = []
        for values in shingle_lists:
            m = datasketch.MinHash(DEFAULT_NUM_PERM, scheme="affine32", hashfunc=int,
                                   permutations=perms)
            m.update_batch(values)
            out.append(m.hashvalues)
        return out

    t_ds = best_cpu_seconds(run_datasketch, 1)
    mbps_ds = base_bytes / t_ds / 1e6
    ds_sigs = np.array(run_datasketch())
    same = bool((ds_sigs == bp_sigs[: len(base_docs)]).all())

    flat = np.concatenate(shingles).astype(np.uint64)
    row_offsets = np.zeros(len(shingles) + 1, dtype=np.uint64)
    np.cumsum([len(s) for s in shingles], out=row_offsets[1:])
    t_rensa = best_cpu_seconds(
        lambda: rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, row_offsets,
                                                                    DEFAULT_NUM_PERM, DEFAULT_SEED),
        args.repeat,
    )
    mbps_rensa = base_bytes / t_rensa / 1e6

    print(f"{'engine':<44} {'MB/s':>9}")
    print(f"{'boostpack (raw text -> signature)':<44} {mbps_bp:9.1f}")
    print(f"{'datasketch update_batch (pre-shingled)':<44} {mbps_ds:9.2f}   signatures equal: {same}")
    print(f"{'rensa digest_matrix (pre-shingled)':<44} {mbps_rensa:9.1f}")
    print(f"boostpack / datasketch = {mbps_bp / mbps_ds:6.1f}x   (target >= {TARGET_VS_DATASKETCH:.0f}x)")
    print(f"boostpack / rensa      = {mbps_bp / mbps_rensa:6.2f}x   (target >= {TARGET_VS_RENSA}x)")
    print(f"boostpack absolute     = {mbps_bp:6.1f} MB/s per core (target >= {TARGET_MBPS:.0f})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
