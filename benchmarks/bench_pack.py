"""pytest-benchmark timings of the packing kernel and the shard writer/reader.

    python -m pytest benchmarks/bench_pack.py --benchmark-only
    python -m pytest benchmarks/bench_pack.py --benchmark-disable  # CI: run once

Ratios against the raw tokenizer engines, on real QA, are printed by
``benchmarks/compare_pack.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from boostpack.format.reader import open_shards
from boostpack.format.writer import ShardWriter
from boostpack.packing.config import DEFAULT_WINDOW
from boostpack.packing.packer import Packer, fill, frame_documents, plan

SEQ_LEN = 4096


@pytest.fixture(scope="module")
def lengths() -> np.ndarray:
    """200k QA-like document lengths in tokens (log-normal, median ≈ 245, capped at 8192)."""
    rng = np.random.default_rng(0)
    return np.clip(rng.lognormal(5.5, 0.8, size=200_000), 8, 8192).astype(np.uint64)


@pytest.mark.parametrize("strategy", ["bestfit", "concat", "pad"])
def test_plan(benchmark, lengths: np.ndarray, strategy: str) -> None:
    def run() -> int:
        return sum(plan(lengths[i:i + DEFAULT_WINDOW], SEQ_LEN, strategy).num_sequences
                   for i in range(0, len(lengths), DEFAULT_WINDOW))

    sequences = benchmark(run)
    assert sequences * SEQ_LEN >= int(lengths.sum())


def test_packer_end_to_end(benchmark, lengths: np.ndarray) -> None:
    """Frame, window, plan, hold back and fill: everything between the encoder and the writer."""
    docs = lengths[:50_000]
    offsets = np.concatenate([[0], np.cumsum(docs)]).astype(np.int64)
    ids = np.arange(int(offsets[-1]), dtype=np.uint32) % 128_000

    def run() -> int:  # the packer frames the documents as pack's does
        packer = Packer(SEQ_LEN, pad_id=128001, dtype=np.dtype("<u4"), bos=128000, eos=128001)
        blocks = [*packer.add(ids, offsets), *packer.finish()]
        return sum(int(b.length.sum()) for b in blocks)

    assert benchmark(run) == int(offsets[-1]) + 2 * len(docs)


def test_frame_documents(benchmark, lengths: np.ndarray) -> None:
    docs = lengths[:50_000]
    offsets = np.concatenate([[0], np.cumsum(docs)]).astype(np.int64)
    ids = np.arange(int(offsets[-1]), dtype=np.uint32) % 128_000
    flat, _ = benchmark(frame_documents, ids, offsets, 128000, 128001)
    assert len(flat) == int(offsets[-1]) + 2 * len(docs)


def test_fill(benchmark, lengths: np.ndarray) -> None:
    docs = lengths[:DEFAULT_WINDOW]
    p = plan(docs, SEQ_LEN, "bestfit")
    offsets = np.concatenate([[0], np.cumsum(docs)]).astype(np.uint64)
    ids = np.ones(int(offsets[-1]), dtype=np.uint32)
    src = offsets[:-1][p.item] + p.offset
    rows = benchmark(fill, ids, src, p.length, p.seq_ptr, SEQ_LEN, 0, np.dtype("<u4"))
    assert rows.shape == (p.num_sequences, SEQ_LEN)


def test_write_and_read(benchmark, tmp_path: Path) -> None:
    """256 sequences of 4096 uint32 tokens (4 MiB) per round: write, checksum, fsync, reopen."""
    rows = np.ones((256, SEQ_LEN), dtype=np.uint32)
    seq_ptr = np.arange(257, dtype=np.uint64)
    starts = np.zeros(256, dtype=np.uint32)
    lens = np.full(256, SEQ_LEN, dtype=np.uint32)
    docs = np.arange(256, dtype=np.uint64)
    counter = iter(range(10**9))

    def run() -> int:
        out = tmp_path / f"ds{next(counter)}"
        w = ShardWriter(out, seq_len=SEQ_LEN, dtype=np.dtype("<u4"), sequences_per_shard=128)
        w.add_documents([str(i) for i in range(256)])
        w.write(rows, seq_ptr, starts, lens, docs)
        w.finish({}, split_documents=0)
        return open_shards(out).num_sequences

    assert benchmark(run) == 256
