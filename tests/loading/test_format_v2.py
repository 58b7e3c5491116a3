"""Reading format version 2 (``piece_loss`` in the index): the reader exposes it per shard
(zeros for version 1), and ``labels`` are -100 on each piece's loss-free prefix too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from format_v2 import as_version_1, convert_to_v2
from test_dataset import reference_sample, write_packed

from boostpack import PackedDataset
from boostpack.errors import CorruptData
from boostpack.format.manifest import file_xxh3
from boostpack.format.reader import open_shards
from boostpack.format.verify import verify
from boostpack.loading.dataset import IGNORE_INDEX, collate


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path, dict[str, np.ndarray]]:
    v1 = as_version_1(write_packed(tmp_path / "v1", seed=11, num_sequences=33, seq_len=40,
                                   per_shard=8))
    v2 = write_packed(tmp_path / "v2", seed=11, num_sequences=33, seq_len=40, per_shard=8)
    return v1, v2, convert_to_v2(v2, seed=3)


def test_reader_exposes_piece_loss(pair: tuple[Path, Path, dict[str, np.ndarray]]) -> None:
    v1, v2, losses = pair
    r1, r2 = open_shards(v1), open_shards(v2)
    assert (r1.format_version, r2.format_version) == (1, 2)
    assert any(loss.any() for loss in losses.values())
    for k in range(r2.num_shards):
        s1, s2 = r1.shard(k), r2.shard(k)
        assert s2.piece_loss.tolist() == losses[s2.name].tolist()
        assert s1.piece_loss.shape == s1.piece_length.shape and not s1.piece_loss.any()
        for name in ("seq_ptr", "piece_start", "piece_length", "piece_doc", "tokens"):
            assert np.array_equal(getattr(s1, name), getattr(s2, name)), name
    verify(v2)  # the rest of the dataset is unchanged and still consistent


def test_labels_mask_loss_free_prefixes(pair: tuple[Path, Path, dict[str, np.ndarray]]) -> None:
    v1, v2, _ = pair
    ds1, ds2, reader = PackedDataset(v1), PackedDataset(v2), open_shards(v2)
    masked_more = 0
    for i in range(len(ds2)):
        want = reference_sample(reader, i)
        k, j = reader.locate(i)
        sh = reader.shard(k)
        lo, hi = sh.piece_range(j)
        for start, loss in zip(sh.piece_start[lo:hi].tolist(), sh.piece_loss[lo:hi].tolist(),
                               strict=True):
            want["labels"][start:start + loss] = [IGNORE_INDEX] * loss
        got, old = ds2[i], ds1[i]
        assert got["labels"].tolist() == want["labels"], i
        for key in ("input_ids", "position_ids", "cu_seqlens", "document_ids"):
            assert got[key].tolist() == want[key] == old[key].tolist(), (i, key)
        masked_more += int(np.count_nonzero(got["labels"] != old["labels"]))
    assert masked_more > 0
    batch = ds2.__getitems__(list(range(len(ds2))))
    assert np.array_equal(batch["labels"], collate([ds2[i] for i in range(len(ds2))])["labels"])


def test_loss_prefix_longer_than_its_piece_is_corrupt(
        pair: tuple[Path, Path, dict[str, np.ndarray]]) -> None:
    _, v2, _ = pair
    reader = open_shards(v2)
    sh = reader.shard(1)
    row = next(j for j in range(sh.num_sequences) if sh.piece_range(j)[1] > sh.piece_range(j)[0])
    piece = sh.piece_range(row)[0]
    s, p = sh.num_sequences, len(sh.piece_start)
    offset = 32 + 8 * (s + 1) + 16 * p + 4 * piece
    too_long = int(sh.piece_length[piece]) + 1
    del reader, sh
    index = v2 / "shard-00001.index"
    data = bytearray(index.read_bytes())
    data[offset:offset + 4] = too_long.to_bytes(4, "little")
    index.write_bytes(bytes(data))
    manifest = json.loads((v2 / "manifest.json").read_text())
    manifest["shards"][1]["files"]["index"]["xxh3"] = file_xxh3(index)  # a consistent lie
    (v2 / "manifest.json").write_text(json.dumps(manifest))
    ds = PackedDataset(v2)
    with pytest.raises(CorruptData, match=f"shard 1: document index row {row}"):
        ds[8 + row]
    with pytest.raises(CorruptData, match=f"shard 1: document index row {row}"):
        ds.__getitems__([0, 8 + row])


def test_unknown_versions_and_magics_are_refused(
        pair: tuple[Path, Path, dict[str, np.ndarray]]) -> None:
    v1, v2, _ = pair
    for path, version in ((v1, 3), (v2, 1), (v1, 2), (v1, True)):
        manifest = json.loads((path / "manifest.json").read_text())
        saved = manifest["format_version"]
        manifest["format_version"] = version
        (path / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(CorruptData):
            ds = PackedDataset(path)
            ds[0]  # a version-1 index read as version 2 (or back) fails its size check
        manifest["format_version"] = saved
        (path / "manifest.json").write_text(json.dumps(manifest))
