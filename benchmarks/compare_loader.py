"""Loader throughput against plain numpy baselines, measured in one run on the same data.

    python benchmarks/compare_loader.py [--sequences 4000] [--repeat 5]

Prints, as samples/s and as ratios to two bare ``np.frombuffer`` slice loops over an ``mmap``
(DESIGN §8 targets ≥ 250k random 4096-token samples/s with cu_seqlens, ``ds[i]`` ≥ 0.5× a
bare slice loop, a 32-sample ``__getitems__`` ≥ 2× 32 ``ds[i]`` plus ``collate``):
  - raw slicing that returns a view (touches no token: the page-ins happen later, in whoever
    reads it) and raw slicing plus ``.copy()`` (reads every token once, as any loader that
    hands over data must);
  - ``np.memmap`` row indexing (token view);
  - the obvious numpy loader: memmap row + cu_seqlens/position_ids/labels from the CSR index;
  - the floor of any dict-returning ``__getitem__``: a call building a dict of five views;
  - ``PackedDataset[i]`` with all fields, with ``labels=False``, and ``ds.tokens(i)``;
  - batches of 32: ``collate([ds[i] ...])`` against ``ds.__getitems__`` (one compiled gather).
Then the open time of a 1000-shard dataset (and one with 10× the tokens: O(shards), not
O(tokens)) and the sampler's tracemalloc peak at n = 10^9. Throughput is the best of
``--repeat`` passes timed in process CPU time (``time.process_time``: per-process cost, and
less disturbed than wall time when other jobs share the cores); the variants alternate pass by
pass, so all of them see the same background load.
"""

from __future__ import annotations

import argparse
import mmap
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from boostpack import PackedDataset, ShuffledSampler, collate
from boostpack.format.writer import ShardWriter

SEQ_LEN = 4096
BATCH = 32


def write_qa_like(path: Path, sequences: int, seq_len: int, per_shard: int, seed: int = 0) -> None:
    """Rows packed with QA-length documents (100-600 tokens), the last row part padding."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 128_000, size=(sequences, seq_len), dtype=np.uint32)
    ptr, starts, lengths, docs = [0], [], [], []
    doc = 0
    for _ in range(sequences):
        pos = 0
        while True:
            n = int(rng.integers(100, 600))
            if pos + n > seq_len:
                break
            starts.append(pos)
            lengths.append(n)
            docs.append(doc)
            doc += 1
            pos += n
        ptr.append(len(starts))
    with ShardWriter(path, seq_len=seq_len, dtype=np.dtype("<u4"),
                     sequences_per_shard=per_shard) as w:
        w.add_documents([f"r{d}" for d in range(doc)])
        w.write(tokens, np.array(ptr, np.uint64), np.array(starts, np.uint32),
                np.array(lengths, np.uint32), np.array(docs, np.uint64))
        w.finish({"tokenizer": {"pad_id": 0}}, split_documents=0)


def best_rates(variants: list[tuple[str, Callable[[Any], object], list[Any], int]],
               repeat: int) -> dict[str, float]:
    """Best samples/s of each ``(name, fn, items, samples per item)`` over ``repeat`` passes,
    the variants alternating pass by pass."""
    best = dict.fromkeys((name for name, *_ in variants), float("inf"))
    for _ in range(repeat):
        for name, fn, items, _per in variants:
            t = time.process_time()
            for item in items:
                fn(item)
            best[name] = min(best[name], time.process_time() - t)
    return {name: len(items) * per / best[name] for name, _fn, items, per in variants}


def throughput(root: Path, sequences: int, repeat: int) -> None:
    path = root / "qa"
    write_qa_like(path, sequences, SEQ_LEN, per_shard=1024)
    ds = PackedDataset(path)
    ds_nolabels = PackedDataset(path, labels=False)
    reader = ds._reader
    indices = np.random.default_rng(1).integers(0, sequences, size=100_000).tolist()
    batches = [indices[b:b + BATCH] for b in range(0, len(indices) // 4, BATCH)]

    # Baselines over the first shard's file only, so every variant reads the same rows.
    n0 = int(reader.sequence_offsets[1])
    idx0 = [i % n0 for i in indices]
    f = open(path / "shard-00000.tokens", "rb")  # noqa: SIM115 - closed below
    raw = np.frombuffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), dtype="<u4")
    mm = np.memmap(path / "shard-00000.tokens", dtype="<u4", mode="r", shape=(n0, SEQ_LEN))
    sh = reader.shard(0)

    def raw_slice(i: int) -> np.ndarray:
        return raw[i * SEQ_LEN:(i + 1) * SEQ_LEN]

    def raw_copy(i: int) -> np.ndarray:
        return raw[i * SEQ_LEN:(i + 1) * SEQ_LEN].copy()

    def numpy_sample(i: int) -> dict[str, np.ndarray]:
        row = mm[i]
        lo, hi = int(sh.seq_ptr[i]), int(sh.seq_ptr[i + 1])
        lengths = sh.piece_length[lo:hi].astype(np.int32)
        cu = np.concatenate(([0], np.cumsum(lengths), [SEQ_LEN])).astype(np.int32)
        cu = cu[:-1] if cu[-2] == SEQ_LEN else cu
        seg = np.diff(cu)
        pos = np.arange(SEQ_LEN, dtype=np.int32) - np.repeat(cu[:-1], seg)
        labels = row.astype(np.int32)
        labels[cu[:-1]] = -100
        labels[cu[-2] if hi > lo and cu[-1] != cu[-2] else SEQ_LEN:] = -100
        return {"input_ids": row, "labels": labels, "position_ids": pos, "cu_seqlens": cu,
                "document_ids": sh.piece_doc[lo:hi]}

    pool = np.zeros(1 << 20, dtype=np.int32)

    def python_floor(i: int) -> dict[str, np.ndarray]:
        # What any dict-of-arrays __getitem__ pays before computing anything: a call, a dict
        # and five views (the arrays are never filled).
        o = (i * 64) % (len(pool) - 2 * SEQ_LEN)
        return {"input_ids": raw[i * SEQ_LEN:(i + 1) * SEQ_LEN], "labels": pool[o:o + SEQ_LEN],
                "position_ids": pool[o + SEQ_LEN:o + 2 * SEQ_LEN], "cu_seqlens": pool[o:o + 9],
                "document_ids": pool[o:o + 8]}

    def samples_then_collate(batch: list[int]) -> dict[str, Any]:
        return collate([ds[i] for i in batch])

    variants = [
        ("raw np.frombuffer slice, a view (no token read)", raw_slice, idx0, 1),
        ("raw np.frombuffer slice + copy (every token read)", raw_copy, idx0, 1),
        ("floor: call + dict of 5 views, nothing computed", python_floor, idx0, 1),
        ("np.memmap row (tokens only)", mm.__getitem__, idx0, 1),
        ("numpy: memmap row + labels/position_ids/cu_seqlens", numpy_sample, idx0, 1),
        ("PackedDataset[i], all fields", ds.__getitem__, indices, 1),
        ("PackedDataset[i], labels=False", ds_nolabels.__getitem__, indices, 1),
        ("PackedDataset.tokens(i) (tokens only)", ds.tokens, indices, 1),
        (f"batch of {BATCH}: ds[i] each + collate", samples_then_collate, batches, BATCH),
        (f"batch of {BATCH}: ds.__getitems__", ds.__getitems__, batches, BATCH),
    ]
    for _, fn, items, _per in variants:  # warm the page cache and every lazy map
        for item in items[:20_000]:
            fn(item)
    rates = best_rates(variants, repeat)
    view, copy = rates[variants[0][0]], rates[variants[1][0]]
    print(f"random access, {sequences} x {SEQ_LEN} uint32 tokens, {len(indices)} samples per pass")
    print(f"  {'':55s} {'samples/s':>10s}  {'/ view':>7s}  {'/ copy':>7s}")
    for name, rate in rates.items():
        print(f"  {name:55s} {rate / 1e3:9.0f}k  {rate / view:6.3f}x  {rate / copy:6.2f}x")
    by_hand, gathered = rates[variants[-2][0]], rates[variants[-1][0]]
    print(f"  __getitems__ / (ds[i] + collate): {gathered / by_hand:.2f}x")
    f.close()  # the mapping stays valid: mmap keeps its own handle


def open_time(root: Path, repeat: int) -> None:
    paths = {}
    for rows_per_shard in (2, 20):
        paths[rows_per_shard] = root / f"open-{rows_per_shard}"
        write_qa_like(paths[rows_per_shard], 1000 * rows_per_shard, 256,
                      per_shard=rows_per_shard, seed=2)
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(3 * repeat):  # interleaved, so both see the same background load
        for rows_per_shard, path in paths.items():
            t = time.perf_counter()
            PackedDataset(path)
            best[rows_per_shard] = min(best[rows_per_shard], time.perf_counter() - t)
    for rows_per_shard, seconds in best.items():
        print(f"open 1000 shards x {rows_per_shard:2d} sequences: {seconds * 1e3:7.1f} ms")
    print(f"  ratio 10x tokens / 1x tokens: {best[20] / best[2]:.2f}")


def sampler_memory() -> None:
    tracemalloc.start()
    s = ShuffledSampler(10**9, seed=1, rank=3, world_size=8)
    it = iter(s)
    t = time.perf_counter()
    for _ in range(200_000):
        next(it)
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"ShuffledSampler n=10^9: tracemalloc peak {peak / 1024:.0f} KiB while drawing 200k "
          f"indices ({200_000 / elapsed / 1e6:.2f}M indices/s under tracemalloc)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sequences", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        throughput(root, args.sequences, args.repeat)
        open_time(root, args.repeat)
    sampler_memory()


if __name__ == "__main__":
    main()
