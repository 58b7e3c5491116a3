"""PackedDataset against a slow reference built from the shard reader's document index, plus
refusal of missing/mismatched/corrupt data, pickling and ``collate``."""

from __future__ import annotations

import json
import pickle
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack import PackedDataset
from boostpack.errors import CorruptData
from boostpack.format.manifest import file_xxh3
from boostpack.format.reader import open_shards
from boostpack.format.verify import verify
from boostpack.format.writer import ShardWriter
from boostpack.loading.dataset import IGNORE_INDEX, collate

PAD = 3


def write_packed(path: Path, *, seed: int, num_sequences: int, seq_len: int,
                 per_shard: int, dtype: str = "<u4") -> Path:
    """A random packed dataset: rows of back-to-back pieces, some full, some padded; the first
    piece of a row sometimes continues the previous row's last document (a split document)."""
    rng = np.random.default_rng(seed)
    tokens = np.full((num_sequences, seq_len), PAD, dtype=dtype)
    ptr, starts, lengths, docs = [0], [], [], []
    doc, row_full = -1, False
    split: set[int] = set()
    for j in range(num_sequences):
        pos = 0
        for piece in range(int(rng.integers(0, 4)) + 1):
            length = int(rng.integers(1, seq_len + 1))
            if pos + length > seq_len:
                if not rng.integers(2):
                    break
                length = seq_len - pos
            if length == 0:
                break
            continues = piece == 0 and row_full and doc >= 0 and rng.random() < 0.5
            if continues:
                split.add(doc)
            else:
                doc += 1
            tokens[j, pos:pos + length] = rng.integers(0, 60000, size=length)
            starts.append(pos)
            lengths.append(length)
            docs.append(doc)
            pos += length
        row_full = pos == seq_len
        ptr.append(len(starts))
    with ShardWriter(path, seq_len=seq_len, dtype=np.dtype(dtype),
                     sequences_per_shard=per_shard) as w:
        w.add_documents([f"rec-{d}" for d in range(doc + 1)])
        w.write(tokens, np.array(ptr, np.uint64), np.array(starts, np.uint32),
                np.array(lengths, np.uint32), np.array(docs, np.uint64))
        w.finish({"tokenizer": {"pad_id": PAD}}, split_documents=len(split))
    return path


def reference_sample(reader, i: int) -> dict[str, list[int]]:
    """The documented conventions, spelled out token by token."""
    row = reader.tokens(i).tolist()
    starts, lengths, docs = (a.tolist() for a in reader.pieces(i))
    seq_len = len(row)
    labels, positions, cu = [], [], [0]
    for s, n in zip(starts, lengths, strict=True):
        labels += [IGNORE_INDEX, *row[s + 1:s + n]]
        positions += list(range(n))
        cu.append(s + n)
    used = cu[-1]
    if used < seq_len:
        labels += [IGNORE_INDEX] * (seq_len - used)
        positions += list(range(seq_len - used))
        cu.append(seq_len)
    return {"input_ids": row, "labels": labels, "position_ids": positions, "cu_seqlens": cu,
            "document_ids": docs}


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_packed(tmp_path_factory.mktemp("packed") / "ds", seed=1, num_sequences=57,
                        seq_len=64, per_shard=10)


def _assert_matches_reference(ds: PackedDataset, reader, i: int) -> None:
    got = ds[i]
    ref = reference_sample(reader, i)
    assert set(got) == set(ref)
    for key, value in ref.items():
        assert got[key].tolist() == value, (i, key)
    assert got["labels"].dtype == np.int32
    assert got["position_ids"].dtype == np.int32
    assert got["cu_seqlens"].dtype == np.int32
    assert got["input_ids"].dtype == reader.dtype


def test_every_sample_matches_reference(packed: Path) -> None:
    ds, reader = PackedDataset(packed), open_shards(packed)
    assert len(ds) == 57 == reader.num_sequences
    for i in range(len(ds)):
        _assert_matches_reference(ds, reader, i)


def test_samples_rebuild_every_document(packed: Path) -> None:
    # cu_seqlens + document_ids cut the rows back into the documents the index describes.
    ds, reader = PackedDataset(packed), open_shards(packed)
    pieces: dict[int, list[np.ndarray]] = {}
    for i in range(len(ds)):
        s = ds[i]
        cu = s["cu_seqlens"]
        for p, d in enumerate(s["document_ids"].tolist()):
            pieces.setdefault(d, []).append(s["input_ids"][cu[p]:cu[p + 1]])
            assert s["position_ids"][cu[p]:cu[p + 1]].tolist() == list(range(cu[p + 1] - cu[p]))
    assert sorted(pieces) == list(range(ds.num_documents))
    for d in (0, ds.num_documents // 2, ds.num_documents - 1):
        assert np.concatenate(pieces[d]).tolist() == reader.document_tokens(d).tolist()
        assert ds.record_id(d) == f"rec-{d}"


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), seq_len=st.integers(1, 40),
       per_shard=st.integers(1, 12), dtype=st.sampled_from(["<u2", "<u4"]))
def test_random_layouts_match_reference(tmp_path_factory: pytest.TempPathFactory, seed: int,
                                        n: int, seq_len: int, per_shard: int, dtype: str) -> None:
    path = write_packed(tmp_path_factory.mktemp("h") / "ds", seed=seed, num_sequences=n,
                        seq_len=seq_len, per_shard=per_shard, dtype=dtype)
    ds, reader = PackedDataset(path), open_shards(path)
    verify(path)
    for i in range(n):
        _assert_matches_reference(ds, reader, i)
    shutil.rmtree(path)


def test_input_ids_are_views_of_the_map(packed: Path) -> None:
    ds = PackedDataset(packed)
    s = ds[13]
    shard_tokens = ds._reader.shard(1).tokens
    assert np.shares_memory(s["input_ids"], shard_tokens)
    assert np.shares_memory(s["document_ids"], ds._reader.shard(1).piece_doc)
    assert not s["input_ids"].flags.writeable


def test_samples_do_not_alias_each_other(packed: Path) -> None:
    ds = PackedDataset(packed)
    samples = [ds[i] for i in range(40)]
    samples[0]["labels"][:] = 0
    samples[0]["position_ids"][:] = 0
    reader = open_shards(packed)
    for i, s in enumerate(samples[1:], start=1):
        ref = reference_sample(reader, i)
        assert s["labels"].tolist() == ref["labels"]
        assert s["position_ids"].tolist() == ref["position_ids"]


def test_indexing_like_a_sequence(packed: Path) -> None:
    ds = PackedDataset(packed)
    n = len(ds)
    for i in (-1, -n, -7):
        assert ds[i]["input_ids"].tolist() == ds[n + i]["input_ids"].tolist()
    assert ds[np.int64(5)]["input_ids"].tolist() == ds[5]["input_ids"].tolist()
    for bad in (n, n + 10, -n - 1):
        with pytest.raises(IndexError):
            ds[bad]
    with pytest.raises(TypeError):
        ds[1.5]  # type: ignore[index]


def test_labels_optional(packed: Path) -> None:
    ds = PackedDataset(packed, labels=False)
    s = ds[3]
    assert "labels" not in s
    ref = reference_sample(open_shards(packed), 3)
    assert s["position_ids"].tolist() == ref["position_ids"]
    assert s["cu_seqlens"].tolist() == ref["cu_seqlens"]


def test_open_is_lazy_and_pickles_as_path(packed: Path) -> None:
    ds = PackedDataset(packed)
    assert ds._reader._shards == {}  # nothing mapped by opening
    ds[25]
    assert set(ds._reader._shards) == {2}
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._reader._shards == {}
    assert len(pickle.dumps(ds)) < 500
    for i in (0, 25, 56):
        a, b = ds[i], clone[i]
        assert all(a[k].tolist() == b[k].tolist() for k in a)


def test_refuses_missing_manifest(tmp_path: Path, packed: Path) -> None:
    with pytest.raises(CorruptData, match="manifest"):
        PackedDataset(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(packed, copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(CorruptData, match="manifest"):
        PackedDataset(copy)


def _copy(packed: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(packed, copy)
    return copy


def test_refuses_truncated_or_missing_shard(tmp_path: Path, packed: Path) -> None:
    copy = _copy(packed, tmp_path)
    tok = copy / "shard-00003.tokens"
    tok.write_bytes(tok.read_bytes()[:-4])
    with pytest.raises(CorruptData, match=r"shard-00003\.tokens"):
        PackedDataset(copy)
    tok.unlink()
    with pytest.raises(CorruptData, match="missing"):
        PackedDataset(copy)


def test_refuses_manifest_that_does_not_match_shards(tmp_path: Path, packed: Path) -> None:
    copy = _copy(packed, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["shards"][1]["sequences"] += 1
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptData, match="shard-00001"):
        PackedDataset(copy)
    manifest["shards"][1]["sequences"] -= 1
    manifest["totals"]["sequences"] += 1
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptData, match="totals"):
        PackedDataset(copy)
    manifest["format"] = "something.else"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptData, match="manifest"):
        PackedDataset(copy)


def test_checksums_checked_on_request(tmp_path: Path, packed: Path) -> None:
    copy = _copy(packed, tmp_path)
    tok = copy / "shard-00002.tokens"
    data = bytearray(tok.read_bytes())
    data[100] ^= 0xFF
    tok.write_bytes(bytes(data))
    PackedDataset(copy)  # same sizes: the cheap open cannot tell
    with pytest.raises(CorruptData, match="checksum"):
        PackedDataset(copy, verify=True)


def test_corrupt_index_row_refused_on_access(tmp_path: Path, packed: Path) -> None:
    copy = _copy(packed, tmp_path)
    reader = open_shards(copy)
    sh = reader.shard(0)
    # Find a row with two pieces and make the second overlap the first.
    row = next(j for j in range(sh.num_sequences) if sh.seq_ptr[j + 1] - sh.seq_ptr[j] >= 2)
    piece = int(sh.seq_ptr[row]) + 1
    offset = 32 + 8 * (sh.num_sequences + 1) + 4 * piece
    del reader, sh
    idx = copy / "shard-00000.index"
    data = bytearray(idx.read_bytes())
    data[offset:offset + 4] = (0).to_bytes(4, "little")
    idx.write_bytes(bytes(data))
    ds = PackedDataset(copy)
    with pytest.raises(CorruptData, match=r"shard-00000\.index checksum"):
        ds[row]  # the shard's index checksum is checked on its first use
    ds[15]  # other shards still load
    # With a checksum that matches the bad index, the row's own check refuses it.
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["shards"][0]["files"]["index"]["xxh3"] = file_xxh3(idx)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    ds = PackedDataset(copy)
    with pytest.raises(CorruptData, match=f"shard 0: document index row {row}"):
        ds[row]
    with pytest.raises(CorruptData, match=f"shard 0: document index row {row}"):
        ds.__getitems__([row + 1 if row + 1 < 10 else row - 1, row])
    ds[row + 1 if row + 1 < 10 else row - 1]  # other rows still load


def test_collate_offsets_cu_seqlens(packed: Path) -> None:
    ds = PackedDataset(packed)
    samples = [ds[i] for i in (4, 0, 31)]
    batch = collate(samples)
    L = ds.seq_len
    assert batch["input_ids"].shape == (3, L) and batch["input_ids"].dtype == np.int64
    assert batch["labels"].tolist() == [s["labels"].tolist() for s in samples]
    assert batch["position_ids"].tolist() == [s["position_ids"].tolist() for s in samples]
    expected_cu = [0]
    for b, s in enumerate(samples):
        expected_cu += [b * L + int(c) for c in s["cu_seqlens"][1:]]
    assert batch["cu_seqlens"].tolist() == expected_cu
    assert batch["cu_seqlens"].dtype == np.int32
    assert batch["max_seqlen"] == max(np.diff(expected_cu))
    assert batch["document_ids"].tolist() == [d for s in samples for d in s["document_ids"].tolist()]


def test_threads_get_disjoint_samples(packed: Path) -> None:
    # The kernel runs without the GIL: concurrent calls must never share output slots.
    ds = PackedDataset(packed)
    reader = open_shards(packed)
    expected = {i: reference_sample(reader, i) for i in range(len(ds))}

    def work(offset: int) -> list[tuple[int, dict[str, np.ndarray]]]:
        return [(i % len(ds), ds[i % len(ds)]) for i in range(offset, offset + 400)]

    with ThreadPoolExecutor(4) as pool:
        results = [r for batch in pool.map(work, range(4)) for r in batch]
    for i, s in results:
        assert s["labels"].tolist() == expected[i]["labels"]
        assert s["position_ids"].tolist() == expected[i]["position_ids"]
        assert s["cu_seqlens"].tolist() == expected[i]["cu_seqlens"]
