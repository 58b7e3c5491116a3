"""Shard writer/reader round trip (hypothesis state machine against a plain Python model) and
``verify`` catching corruption."""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
import xxhash
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from boostpack.errors import CorruptData, InvalidInput
from boostpack.format.describe import describe
from boostpack.format.manifest import file_xxh3, index_nbytes
from boostpack.format.reader import open_shards
from boostpack.format.verify import verify
from boostpack.format.writer import ShardWriter, token_dtype

PAD = 7


def _block(draw_lengths: list[list[int]], seq_len: int, next_doc: int, continue_first: bool,
           rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Sequences whose pieces have the given lengths; every piece is a new document except the
    first piece of the block when ``continue_first`` (a split document continuing)."""
    n = len(draw_lengths)
    tokens = np.full((n, seq_len), PAD, dtype=np.uint32)
    ptr, starts, lengths, docs = [0], [], [], []
    doc = next_doc - 1
    first = True
    for j, row in enumerate(draw_lengths):
        pos = 0
        for length in row:
            if not (first and continue_first):
                doc += 1
            first = False
            tokens[j, pos:pos + length] = rng.integers(0, 1000, size=length)
            starts.append(pos)
            lengths.append(length)
            docs.append(doc)
            pos += length
        ptr.append(len(starts))
    return (tokens, np.array(ptr, np.uint64), np.array(starts, np.uint32),
            np.array(lengths, np.uint32), np.array(docs, np.uint64))


def _rows(seq_len: int) -> st.SearchStrategy[list[list[int]]]:
    row = st.lists(st.integers(1, seq_len), min_size=1, max_size=4).map(
        lambda ls: _fit(ls, seq_len))
    return st.lists(row, min_size=1, max_size=5)


def _fit(lengths: list[int], seq_len: int) -> list[int]:
    out, total = [], 0
    for n in lengths:
        if total + n > seq_len:
            break
        out.append(n)
        total += n
    return out or [seq_len]


class WriterReaderMachine(RuleBasedStateMachine):
    """Write random blocks (documents, split continuations, shard-straddling blocks); at the
    end the reader and ``verify`` must agree with the model exactly."""

    @initialize(seq_len=st.sampled_from([1, 5, 16]), per_shard=st.integers(1, 4),
                seed=st.integers(0, 2**32 - 1))
    def start(self, seq_len: int, per_shard: int, seed: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bp-shards-"))
        self.seq_len = seq_len
        self.rng = np.random.default_rng(seed)
        self.writer = ShardWriter(self.dir / "ds", seq_len=seq_len, dtype=np.dtype("<u4"),
                                  sequences_per_shard=per_shard)
        self.rows: list[np.ndarray] = []
        self.pieces: list[list[tuple[int, int, int]]] = []
        self.ids: list[str] = []
        self.doc_pieces: dict[int, int] = {}

    @rule(data=st.data())
    def write_block(self, data: st.DataObject) -> None:
        lengths = data.draw(_rows(self.seq_len))
        cont = bool(self.ids) and data.draw(st.booleans())
        tokens, ptr, starts, lens, docs = _block(lengths, self.seq_len, len(self.ids), cont,
                                                 self.rng)
        new_docs = int(docs.max()) + 1 - len(self.ids)
        self.ids += [data.draw(st.text(max_size=6)) for _ in range(new_docs)]
        self.writer.add_documents(self.ids[len(self.ids) - new_docs:])
        self.writer.write(tokens, ptr, starts, lens, docs)
        for j in range(len(lengths)):
            lo, hi = int(ptr[j]), int(ptr[j + 1])
            self.rows.append(tokens[j].copy())
            self.pieces.append(list(zip(starts[lo:hi].tolist(), lens[lo:hi].tolist(),
                                        docs[lo:hi].tolist(), strict=True)))
            for d in docs[lo:hi].tolist():
                self.doc_pieces[d] = self.doc_pieces.get(d, 0) + 1

    @rule()
    def check_nothing_visible_yet(self) -> None:
        with pytest.raises(CorruptData, match=r"no manifest\.json"):
            open_shards(self.dir / "ds")

    def teardown(self) -> None:
        if not hasattr(self, "writer"):
            return
        try:
            split = sum(1 for c in self.doc_pieces.values() if c > 1)
            self.writer.finish({"tokenizer": {"pad_id": PAD}}, split_documents=split)
            ds = open_shards(self.dir / "ds")
            assert ds.num_sequences == len(self.rows)
            assert ds.num_documents == len(self.ids)
            for i, (row, pieces) in enumerate(zip(self.rows, self.pieces, strict=True)):
                np.testing.assert_array_equal(ds.tokens(i), row)
                starts, lens, docs = ds.pieces(i)
                got = list(zip(starts.tolist(), lens.tolist(), docs.tolist(), strict=True))
                assert got == pieces
            assert [ds.record_id(d) for d in range(len(self.ids))] == self.ids
            summary = verify(self.dir / "ds")
            assert summary["sequences"] == len(self.rows)
            assert summary["split_documents"] == split
            assert not list((self.dir / "ds").glob(".tmp-*"))
        finally:
            shutil.rmtree(self.dir)


TestWriterReader = WriterReaderMachine.TestCase
# Each example fsyncs every shard it writes; 8 steps already cover straddling and resuming
# blocks at shard sizes 1-4.
TestWriterReader.settings = settings(stateful_step_count=8)


def _small_dataset(path: Path, seq_len: int = 8, per_shard: int = 2) -> dict:
    """Six sequences over three shards; document 1 is split across sequences 1 and 2."""
    rng = np.random.default_rng(0)
    block = _block([[3, 4], [8], [2, 5], [6], [1, 1, 1], [8]], seq_len, 0, False, rng)
    tokens, ptr, starts, lens, docs = block
    # Make documents 1 and 2 one split document: renumber pieces after the first of doc 2.
    docs = np.where(docs >= 2, docs - 1, docs).astype(np.uint64)
    with ShardWriter(path, seq_len=seq_len, dtype=np.dtype("<u4"),
                     sequences_per_shard=per_shard) as w:
        w.add_documents([f"rec-{d}" for d in range(int(docs.max()) + 1)])
        w.write(tokens, ptr, starts, lens, docs)
        return w.finish({"tokenizer": {"pad_id": PAD}, "strategy": "test"}, split_documents=1)


def test_layout_is_documented_and_memmappable(tmp_path: Path) -> None:
    manifest = _small_dataset(tmp_path / "ds")
    shard = manifest["shards"][1]
    assert shard["name"] == "shard-00001" and shard["sequences"] == 2
    raw = np.memmap(tmp_path / "ds" / "shard-00001.tokens", dtype="<u4", mode="r",
                    shape=(2, 8))
    assert raw[0, 7] == PAD and raw[1, 6] == PAD  # padding after [2, 5] and [6]
    assert (tmp_path / "ds" / "shard-00001.index").stat().st_size == index_nbytes(2, 3) == 116
    assert shard["files"]["tokens"]["xxh3"] == file_xxh3(tmp_path / "ds" / "shard-00001.tokens")
    assert manifest["totals"]["padding_tokens"] == 6 * 8 - (3 + 4 + 8 + 2 + 5 + 6 + 3 + 8)
    ds = open_shards(tmp_path / "ds")
    assert ds.locate(3) == (1, 1)
    np.testing.assert_array_equal(ds.document_tokens(1),
                                  np.concatenate([ds.tokens(0)[3:7], ds.tokens(1)]))
    assert verify(tmp_path / "ds")["split_documents"] == 1


def test_token_dtype_boundary() -> None:
    assert token_dtype(65536) == np.dtype("<u2")
    assert token_dtype(65537) == np.dtype("<u4")
    with pytest.raises(InvalidInput):
        token_dtype(0)


def test_refuses_to_overwrite_a_dataset(tmp_path: Path) -> None:
    _small_dataset(tmp_path / "ds")
    with pytest.raises(InvalidInput, match="already holds"):
        ShardWriter(tmp_path / "ds", seq_len=8, dtype=np.dtype("<u4"), sequences_per_shard=2)


def test_abort_leaves_no_dataset(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), ShardWriter(tmp_path / "ds", seq_len=4, dtype=np.dtype("<u2"),
                                                  sequences_per_shard=8) as w:
        w.add_documents(["a"])
        w.write(np.zeros((1, 4), np.uint16), np.array([0, 1]), np.array([0]), np.array([4]),
                np.array([0]))
        raise RuntimeError("killed")
    assert not (tmp_path / "ds" / "manifest.json").exists()
    assert not list((tmp_path / "ds").glob(".tmp-*"))


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_catches_flipped_byte(tmp_path: Path) -> None:
    _small_dataset(tmp_path / "ds")
    _flip(tmp_path / "ds" / "shard-00001.tokens", 5)
    with pytest.raises(CorruptData, match=r"shard-00001.*checksum"):
        verify(tmp_path / "ds")


def test_verify_catches_truncated_shard(tmp_path: Path) -> None:
    _small_dataset(tmp_path / "ds")
    p = tmp_path / "ds" / "shard-00002.index"
    p.write_bytes(p.read_bytes()[:-3])
    with pytest.raises(CorruptData, match=r"shard-00002.*bytes"):
        verify(tmp_path / "ds")


def _rewrite_manifest(path: Path, edit) -> None:
    m = json.loads((path / "manifest.json").read_text())
    edit(m)
    (path / "manifest.json").write_text(json.dumps(m))


def test_verify_catches_manifest_mismatch(tmp_path: Path) -> None:
    _small_dataset(tmp_path / "ds")
    _rewrite_manifest(tmp_path / "ds", lambda m: m["totals"].update(tokens=1))
    with pytest.raises(CorruptData, match="totals: tokens"):
        verify(tmp_path / "ds")
    shutil.rmtree(tmp_path / "ds")
    _small_dataset(tmp_path / "ds")
    _rewrite_manifest(tmp_path / "ds", lambda m: m["shards"][0].update(sequences=3))
    with pytest.raises(CorruptData, match="shard-00000"):
        verify(tmp_path / "ds")


def test_verify_catches_bad_index_with_valid_checksum(tmp_path: Path) -> None:
    """An index that is internally inconsistent but checksummed (a writer bug) is caught
    structurally, not only by its hash."""
    _small_dataset(tmp_path / "ds")
    idx = tmp_path / "ds" / "shard-00000.index"
    data = bytearray(idx.read_bytes())
    starts_at = 32 + 8 * 3  # header, seq_ptr[3]: first piece_start of shard 0
    data[starts_at + 4] = 2  # second piece of sequence 0 starts at 2, overlapping the first
    idx.write_bytes(bytes(data))
    _rewrite_manifest(tmp_path / "ds", lambda m: m["shards"][0]["files"]["index"].update(
        xxh3=file_xxh3(idx)))
    with pytest.raises(CorruptData, match="shard-00000: sequence 0: pieces overlap"):
        verify(tmp_path / "ds")


def test_verify_catches_tokens_in_padding(tmp_path: Path) -> None:
    _small_dataset(tmp_path / "ds")
    tok = tmp_path / "ds" / "shard-00001.tokens"
    arr = np.fromfile(tok, dtype="<u4").reshape(2, 8)
    arr[1, 7] = PAD + 1
    arr.tofile(tok)
    _rewrite_manifest(tmp_path / "ds", lambda m: m["shards"][1]["files"]["tokens"].update(
        xxh3=file_xxh3(tok)))
    with pytest.raises(CorruptData, match="shard-00001: sequence 1 has non-pad"):
        verify(tmp_path / "ds")


@pytest.mark.parametrize("name", ["shard-00001.tokens", "shard-00002.index",
                                  "documents.offsets", "documents.ids"])
def test_reader_checks_every_listed_file_without_reading_it(tmp_path: Path, name: str) -> None:
    """``check_files`` (what PackedDataset runs at open) and ``verify`` both refuse a listed
    file that is missing or of another size, documents table included; one stat per file."""
    _small_dataset(tmp_path / "ds")
    open_shards(tmp_path / "ds").check_files()
    path = tmp_path / "ds" / name
    path.write_bytes(path.read_bytes() + b"\0")
    for check in (lambda: open_shards(tmp_path / "ds").check_files(),
                  lambda: verify(tmp_path / "ds")):
        with pytest.raises(CorruptData, match=rf"{name} is \d+ bytes; the manifest lists"):
            check()
    path.unlink()
    with pytest.raises(CorruptData, match=rf"{name} is missing"):
        open_shards(tmp_path / "ds").check_files()


def test_directory_without_manifest_is_not_a_dataset(tmp_path: Path) -> None:
    _small_dataset(tmp_path / "ds")
    (tmp_path / "ds" / "manifest.json").unlink()
    with pytest.raises(CorruptData, match="not a packed dataset"):
        verify(tmp_path / "ds")


def test_describe_without_tokenizer_shows_ids(tmp_path: Path) -> None:
    _small_dataset(tmp_path / "ds")
    info = describe(tmp_path / "ds", examples=2)
    assert info["shards"] == 3 and info["strategy"] == "test"
    assert [e["sequence"] for e in info["examples"]] == [0, 5]
    first = info["examples"][0]
    assert [(p["start"], p["length"], p["record_id"]) for p in first["pieces"]] == [
        (0, 3, "rec-0"), (3, 4, "rec-1")]
    assert first["padding"] == 1 and "ids" in first["pieces"][0]


def _with_loss(path: Path, loss_on: str = "answer") -> tuple[dict, list[np.ndarray]]:
    """``_small_dataset``'s pieces with a no-loss prefix each (at most the piece)."""
    rng = np.random.default_rng(1)
    tokens, ptr, starts, lens, docs = _block([[3, 4], [8], [2, 5]], 8, 0, False, rng)
    loss = (rng.integers(0, 9, size=len(lens)) % (lens + 1)).astype(np.uint32)
    with ShardWriter(path, seq_len=8, dtype=np.dtype("<u4"), sequences_per_shard=2) as w:
        w.add_documents([f"rec-{d}" for d in range(int(docs.max()) + 1)])
        w.write(tokens, ptr, starts, lens, docs, loss)
        manifest = w.finish({"tokenizer": {"pad_id": PAD}, "loss_on": loss_on},
                            split_documents=0)
    return manifest, [loss[:3], loss[3:]]


def test_index_v2_holds_piece_loss(tmp_path: Path) -> None:
    manifest, expected = _with_loss(tmp_path / "ds")
    assert manifest["format_version"] == 2 and manifest["loss_on"] == "answer"
    index = (tmp_path / "ds" / "shard-00000.index").read_bytes()
    assert index[:8] == b"BPINDEX2" and len(index) == index_nbytes(2, 3) == 32 + 24 + 60
    ds = open_shards(tmp_path / "ds")
    for k, loss in enumerate(expected):
        np.testing.assert_array_equal(ds.shard(k).piece_loss, loss)
    assert verify(tmp_path / "ds")["pieces"] == 5


def test_verify_checks_piece_loss(tmp_path: Path) -> None:
    _with_loss(tmp_path / "all", loss_on="all")
    with pytest.raises(CorruptData, match="piece_loss is set but the manifest says loss_on 'all'"):
        verify(tmp_path / "all")
    _with_loss(tmp_path / "ds")
    idx = tmp_path / "ds" / "shard-00001.index"
    data = bytearray(idx.read_bytes())
    struct.pack_into("<I", data, len(data) - 4, 9)  # the last piece (5 tokens) loses 9
    idx.write_bytes(bytes(data))
    _rewrite_manifest(tmp_path / "ds", lambda m: m["shards"][1]["files"]["index"].update(
        xxh3=file_xxh3(idx)))
    with pytest.raises(CorruptData, match="shard-00001: piece 1 has piece_loss 9 > its length 5"):
        verify(tmp_path / "ds")
    with pytest.raises(InvalidInput, match="piece_loss must not exceed"):
        ShardWriter(tmp_path / "w", seq_len=4, dtype=np.dtype("<u2"), sequences_per_shard=2).write(
            np.zeros((1, 4), np.uint16), np.array([0, 1]), np.array([0]), np.array([2]),
            np.array([0]), np.array([3]))


def test_version_1_datasets_still_read(tmp_path: Path) -> None:
    """A version 1 dataset (BPINDEX1, no piece_loss, format_version 1) opens and verifies;
    its pieces carry loss everywhere."""
    manifest = _small_dataset(tmp_path / "ds")
    for shard in manifest["shards"]:
        path = tmp_path / "ds" / shard["files"]["index"]["path"]
        data = path.read_bytes()
        path.write_bytes(b"BPINDEX1" + data[8:len(data) - 4 * shard["pieces"]])

        def downgrade(m: dict, name: str = shard["name"], p: Path = path) -> None:
            entry = next(s for s in m["shards"] if s["name"] == name)
            entry["files"]["index"].update(bytes=p.stat().st_size, xxh3=file_xxh3(p))
            m["format_version"] = 1

        _rewrite_manifest(tmp_path / "ds", downgrade)
    ds = open_shards(tmp_path / "ds")
    assert ds.format_version == 1
    assert not ds.shard(2).piece_loss.any() and len(ds.shard(2).piece_loss) == 4
    assert verify(tmp_path / "ds")["split_documents"] == 1
    assert describe(tmp_path / "ds")["format"] == "boostpack.packed v1"


def test_file_xxh3_is_the_hash_of_the_whole_file(tmp_path: Path) -> None:
    """Read in pieces into one buffer: equal to hashing the bytes at once, at any size."""
    rng = np.random.default_rng(5)
    for size in (0, 1, (1 << 20) - 1, 1 << 20, (5 << 19) + 3):
        path = tmp_path / f"f{size}"
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        path.write_bytes(data)
        assert file_xxh3(path) == xxhash.xxh3_64_hexdigest(data)
