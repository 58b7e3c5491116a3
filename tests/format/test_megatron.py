"""Megatron-LM export: one Megatron document per source document, whole and in document order,
read back with a reader written from Megatron's ``.idx`` layout."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boostpack.format.megatron import export_megatron
from boostpack.format.reader import open_shards
from boostpack.format.writer import ShardWriter
from boostpack.ingestion.readers import read_batches
from boostpack.packing.pipeline import pack
from boostpack.packing.render import renderer

BOS, EOS = 128000, 128001


def read_megatron(prefix: Path) -> tuple[int, list[np.ndarray], np.ndarray]:
    """A reader written from Megatron-LM's ``.idx`` layout (indexed_dataset.py, MMIDIDX v1):
    9-byte magic, uint64 version, uint8 dtype code, uint64 sequence count, uint64 document
    count, then int32 sequence lengths, int64 sequence byte offsets into the .bin, int64
    document indices. Returns (dtype code, every sequence's tokens, document indices)."""
    idx = prefix.with_name(prefix.name + ".idx").read_bytes()
    assert idx[:9] == b"MMIDIDX\x00\x00"
    version, code, n_seq, n_doc = struct.unpack_from("<QBQQ", idx, 9)
    assert version == 1
    dtype = {4: "<i4", 8: "<u2"}[code]
    o = 9 + struct.calcsize("<QBQQ")
    lengths = np.frombuffer(idx, "<i4", n_seq, o)
    pointers = np.frombuffer(idx, "<i8", n_seq, o + 4 * n_seq)
    doc_idx = np.frombuffer(idx, "<i8", n_doc, o + 12 * n_seq)
    assert len(idx) == o + 12 * n_seq + 8 * n_doc
    data = np.fromfile(prefix.with_name(prefix.name + ".bin"), dtype=dtype)
    size = np.dtype(dtype).itemsize
    assert int(pointers[-1]) // size + int(lengths[-1]) == data.size if n_seq else True
    return code, [data[p // size:p // size + n] for p, n in zip(pointers.tolist(),
                                                              lengths.tolist(), strict=True)], doc_idx


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), per_shard=st.integers(1, 4))
def test_megatron_export_orders_documents_whatever_the_piece_order(seed: int,
                                                                  per_shard: int) -> None:
    """Pieces of later documents before earlier ones (best-fit's held-back sequences), split
    documents across shards, uint16 tokens: every document comes out whole, in order."""
    rng = np.random.default_rng(seed)
    n_docs = int(rng.integers(1, 30))
    seq_len = 8
    docs = [rng.integers(0, 60000, size=int(rng.integers(1, 20))).astype(np.uint16)
            for _ in range(n_docs)]
    # Cut documents into pieces of at most seq_len, then place whole documents' piece lists in
    # a slightly shuffled document order, one piece per sequence.
    order = np.argsort(np.arange(n_docs) + rng.uniform(0, 3, size=n_docs), kind="stable")
    pieces = [(d, docs[d][i:i + seq_len]) for d in order.tolist()
              for i in range(0, len(docs[d]), seq_len)]
    tokens = np.full((len(pieces), seq_len), 7, dtype=np.uint16)
    for j, (_, piece) in enumerate(pieces):
        tokens[j, :len(piece)] = piece
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        with ShardWriter(out / "ds", seq_len=seq_len, dtype=np.dtype("<u2"),
                         sequences_per_shard=per_shard) as w:
            w.add_documents([f"d{d}" for d in range(n_docs)])
            w.write(tokens, np.arange(len(pieces) + 1, dtype=np.uint64),
                    np.zeros(len(pieces), np.uint32),
                    np.array([len(p) for _, p in pieces], np.uint32),
                    np.array([d for d, _ in pieces], np.uint64))
            w.finish({"tokenizer": {"pad_id": 7}}, split_documents=0)
        export_megatron(out / "ds", out / "m")
        code, got, _ = read_megatron(out / "m")
        assert code == 8 and [g.tolist() for g in got] == [d.tolist() for d in docs]


@pytest.mark.parametrize("strategy", ["bestfit", "concat", "pad"])
def test_a_packed_dataset_exports_its_documents(strategy: str, tmp_path: Path,
                                                llama3_tokenizer_path: Path) -> None:
    """pack (documents longer than seq_len, several tasks, best-fit's held-back sequences)
    then ``boostpack export megatron``: every document is the tokenizer's encoding of its
    rendered record with BOS/EOS, in input order."""
    from tokenizers import Tokenizer

    rng = np.random.default_rng(3)
    words = ["alpha", "beta", "数学", "x", "42", "\n", "solve"]
    records = [{"id": f"r{i}", "question": " ".join(rng.choice(words, size=int(rng.integers(
        1, 90)))), "answer": f"A{i}"} for i in range(300)]
    path = tmp_path / "qa.jsonl"
    path.write_bytes(b"\n".join(map(orjson.dumps, records)) + b"\n")
    summary = pack(path, tmp_path / "ds", tokenizer=llama3_tokenizer_path, seq_len=64,
                   strategy=strategy, window=16, task_bytes=8192, shard_size=64 * 4 * 10,
                   tokenizer_engine="giga", progress=False)
    assert summary["tasks"] > 1 and summary["split_documents"] > 0
    run = subprocess.run([sys.executable, "-m", "boostpack", "export", "megatron",
                          str(tmp_path / "ds"), str(tmp_path / "mega" / "qa"), "--json"],
                         capture_output=True, text=True, check=True)
    reference = Tokenizer.from_file(str(llama3_tokenizer_path))
    render = renderer("qa")
    expected = [[BOS, *reference.encode(render(r), add_special_tokens=False).ids, EOS]
                for b in read_batches(path) for r in b.records]
    assert json.loads(run.stdout)["documents"] == len(expected) == summary["documents"]
    code, docs, doc_idx = read_megatron(tmp_path / "mega" / "qa")
    assert code == 4 and [d.tolist() for d in docs] == expected
    assert doc_idx.tolist() == list(range(len(expected) + 1))
    ds = open_shards(tmp_path / "ds")
    pieces = sum(len(ds.shard(k).piece_doc) for k in range(ds.num_shards))
    assert pieces > len(expected)  # the packed pieces were not the exported documents
