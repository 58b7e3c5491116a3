"""A damaged or hostile dataset is a ``CorruptData`` error, never wrong data, a crash, or a
file read outside the dataset: paths in every manifest field, flipped and truncated bytes in
the index and the document table, manifests of the wrong shape."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dataset import write_packed

from boostpack import PackedDataset
from boostpack.errors import CorruptData
from boostpack.format.describe import describe
from boostpack.format.manifest import file_xxh3
from boostpack.format.reader import open_shards
from boostpack.format.verify import verify

FIELDS = {  # every file path a manifest holds, and how to reach it
    "shard tokens": lambda m: m["shards"][1]["files"]["tokens"],
    "shard index": lambda m: m["shards"][0]["files"]["index"],
    "documents offsets": lambda m: m["documents"]["files"]["offsets"],
    "documents ids": lambda m: m["documents"]["files"]["ids"],
}


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_packed(tmp_path_factory.mktemp("corrupt") / "ds", seed=5, num_sequences=19,
                        seq_len=16, per_shard=7)


def _copy(packed: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(packed, copy)
    return copy


def _edit_manifest(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    edit(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))


def _every_reader(path: Path) -> list[Callable[[], Any]]:
    """What a user can point at a dataset: the loader (samples, batches, record ids), the shard
    reader, verify and inspect's describe."""
    def load() -> None:
        ds = PackedDataset(path)
        for i in range(len(ds)):
            ds[i]
        ds.__getitems__(list(range(len(ds))))
        for d in range(ds.num_documents):
            ds.record_id(d)

    return [load, lambda: open_shards(path).check_files(), lambda: verify(path),
            lambda: describe(path, examples=19)]


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("kind", ["parent", "absolute", "nested", "dotdot", "empty"])
def test_paths_must_stay_inside_the_dataset(packed: Path, tmp_path: Path, field: str,
                                            kind: str) -> None:
    copy = _copy(packed, tmp_path)
    entry = FIELDS[field](json.loads((copy / "manifest.json").read_text()))
    # A file outside the dataset with the very size and checksum the manifest lists.
    outside = tmp_path / "outside.bin"
    shutil.copy(copy / entry["path"], outside)
    name = {"parent": f"../{outside.name}", "absolute": str(outside), "nested": "sub/x",
            "dotdot": "..", "empty": ""}[kind]
    _edit_manifest(copy, lambda m: FIELDS[field](m).update(path=name))
    for read in _every_reader(copy):
        with pytest.raises(CorruptData, match="not a plain file name") as err:
            read()
        assert str(outside.stat().st_size) not in str(err.value).replace(str(tmp_path), "")


@pytest.mark.parametrize("field", list(FIELDS))
def test_symlinks_out_of_the_dataset_are_refused(packed: Path, tmp_path: Path,
                                                 field: str) -> None:
    copy = _copy(packed, tmp_path)
    entry = FIELDS[field](json.loads((copy / "manifest.json").read_text()))
    outside = tmp_path / "moved"
    (copy / entry["path"]).rename(outside)  # a shard moved out, linked back in
    (copy / entry["path"]).symlink_to(outside)
    for read in _every_reader(copy):
        with pytest.raises(CorruptData, match="symbolic link out of the dataset"):
            read()


def test_symlinks_inside_the_dataset_are_followed(packed: Path, tmp_path: Path) -> None:
    copy = _copy(packed, tmp_path)
    (copy / "data").mkdir()
    (copy / "shard-00001.tokens").rename(copy / "data" / "tokens")
    (copy / "shard-00001.tokens").symlink_to("data/tokens")
    for read in _every_reader(copy):
        read()


def test_record_ids_come_only_from_the_dataset(packed: Path, tmp_path: Path) -> None:
    copy = _copy(packed, tmp_path)
    secret = tmp_path / "secret"
    secret.write_bytes((copy / "documents.ids").read_bytes())
    _edit_manifest(copy, lambda m: m["documents"]["files"]["ids"].update(path=str(secret)))
    with pytest.raises(CorruptData):
        PackedDataset(copy).record_id(0)


def test_a_listed_file_that_is_not_a_regular_file(packed: Path, tmp_path: Path) -> None:
    copy = _copy(packed, tmp_path)
    (copy / "shard-00002.index").unlink()
    os.mkfifo(copy / "shard-00002.index")  # opening it would block forever
    with pytest.raises(CorruptData, match="not a regular file"):
        PackedDataset(copy)


@pytest.mark.parametrize("edit", [
    lambda m: m["shards"][0].update(sequences="7"),
    lambda m: m["shards"][0].update(pieces=-1),
    lambda m: m["shards"][0]["files"].pop("index"),
    lambda m: m["shards"][0]["files"]["tokens"].update(xxh3=None),
    lambda m: m["shards"].append(m["shards"][0]),
    lambda m: m["documents"].update(count=True),
    lambda m: m.update(seq_len=0),
    lambda m: m.update(seq_len=2**31),
    lambda m: m.update(dtype="float32"),
    lambda m: m.update(shards={}),
])
def test_manifests_of_the_wrong_shape(packed: Path, tmp_path: Path,
                                      edit: Callable[[dict[str, Any]], None]) -> None:
    copy = _copy(packed, tmp_path)
    _edit_manifest(copy, edit)
    with pytest.raises(CorruptData):
        PackedDataset(copy)


def _originals(path: Path) -> dict[str, Any]:
    ds = PackedDataset(path)
    return {"samples": [{k: v.copy() for k, v in ds[i].items()} for i in range(len(ds))],
            "batch": ds.__getitems__(list(range(len(ds)))),
            "ids": [ds.record_id(d) for d in range(ds.num_documents)]}


def _read_all_or_corrupt(path: Path, original: dict[str, Any]) -> None:
    """Every read equals the original or raises CorruptData (any other exception fails)."""
    try:
        ds = PackedDataset(path)
    except CorruptData:
        return
    for i, want in enumerate(original["samples"]):
        try:
            got = ds[i]
        except CorruptData:
            continue
        assert set(got) == set(want) and all(np.array_equal(got[k], want[k]) for k in want)
    with contextlib.suppress(CorruptData):
        batch = ds.__getitems__(list(range(len(ds))))
        want = original["batch"]
        assert all(np.array_equal(np.asarray(batch[k]), np.asarray(want[k])) for k in want)
    for d, want_id in enumerate(original["ids"]):
        with contextlib.suppress(CorruptData):
            assert ds.record_id(d) == want_id


_CORRUPTIBLE = ["shard-00000.index", "shard-00001.index", "shard-00002.index",
                "documents.offsets", "documents.ids"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(_CORRUPTIBLE), data=st.data(), refresh=st.booleans())
def test_damaged_index_or_document_table_never_yields_wrong_data(
        packed: Path, tmp_path_factory: pytest.TempPathFactory, name: str, data: Any,
        refresh: bool) -> None:
    copy = _copy(packed, tmp_path_factory.mktemp("flip"))
    target = copy / name
    raw = bytearray(target.read_bytes())
    action = data.draw(st.sampled_from(["flip", "truncate", "extend"]))
    if action == "flip":
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(raw) - 1))
            raw[at] ^= data.draw(st.integers(1, 255))
    elif action == "truncate":
        raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
    else:
        raw += bytes(data.draw(st.integers(1, 16)))
    target.write_bytes(bytes(raw))
    _read_all_or_corrupt(copy, _originals(packed))
    shutil.rmtree(copy)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(_CORRUPTIBLE[:3]), data=st.data())
def test_damage_behind_a_matching_checksum_is_refused_or_harmless(
        packed: Path, tmp_path_factory: pytest.TempPathFactory, name: str, data: Any) -> None:
    """A damaged index whose manifest checksum was updated to match (a buggy writer, a
    hand-edited dataset): the per-row checks still refuse every layout the kernels cannot
    read; what passes is a valid layout, so reading it never crashes or raises anything but
    CorruptData."""
    copy = _copy(packed, tmp_path_factory.mktemp("lie"))
    target = copy / name
    raw = bytearray(target.read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(32, len(raw) - 1))  # keep the header: past it, any byte
        raw[at] ^= data.draw(st.integers(1, 255))
    target.write_bytes(bytes(raw))
    k = int(name[6:11])
    _edit_manifest(copy, lambda m: m["shards"][k]["files"]["index"].update(
        xxh3=file_xxh3(target)))
    ds = PackedDataset(copy)
    for i in range(len(ds)):
        try:
            s = ds[i]
        except CorruptData:
            continue
        cu = s["cu_seqlens"]
        assert cu[0] == 0 and cu[-1] == ds.seq_len and np.all(np.diff(cu) > 0)
        assert np.all(s["document_ids"] < ds.num_documents)
    with contextlib.suppress(CorruptData):
        ds.__getitems__(list(range(len(ds))))
    shutil.rmtree(copy)
