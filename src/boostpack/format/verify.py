"""``boostpack.verify``: recompute every checksum of a packed dataset and check the invariants of
``docs/format.md`` (1: pieces back to back within ``seq_len``, 3: every document has a piece,
4: totals, 5: ``piece_loss`` within its piece and 0 unless ``loss_on`` is ``answer``), plus
padding holding ``pad_id``. Invariant 2 needs the source text; the test suite checks it by
re-tokenizing.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from boostpack.errors import CorruptData
from boostpack.format.manifest import LOSS_ON, file_xxh3
from boostpack.format.reader import Shard, ShardReader
from boostpack.runtime.console import Progress


def _check_checksum(reader: ShardReader, owner: str, meta: dict[str, Any]) -> None:
    digest = file_xxh3(reader.path / meta["path"])
    if digest != meta["xxh3"]:
        raise CorruptData(f"{owner}: {meta['path']} checksum {digest} != manifest {meta['xxh3']}")


def _check_pieces(shard: Shard, seq_len: int) -> np.ndarray:
    """Invariant 1 for one shard: ``seq_ptr`` monotone, no empty piece, pieces back to back
    from position 0 and ending within ``seq_len``. Returns each sequence's end position."""
    name = shard.name
    ptr = shard.seq_ptr.astype(np.int64)
    if ptr[0] != 0 or ptr[-1] != len(shard.piece_length) or np.any(np.diff(ptr) < 0):
        raise CorruptData(f"{name}: index seq_ptr is not monotone from 0 to num_pieces")
    lengths = shard.piece_length.astype(np.int64)
    starts = shard.piece_start.astype(np.int64)
    if np.any(lengths == 0):
        raise CorruptData(f"{name}: index has an empty piece")
    # Expected start of each piece = sum of the earlier pieces' lengths in the same sequence.
    cs = np.cumsum(lengths)
    seq_of_piece = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    base = np.where(ptr[:-1] > 0, np.concatenate(([0], cs))[ptr[:-1]], 0)
    expected = cs - lengths - base[seq_of_piece]
    bad = np.flatnonzero(starts != expected)
    if bad.size:
        j = int(seq_of_piece[bad[0]])
        raise CorruptData(f"{name}: sequence {j}: pieces overlap or leave a gap "
                          f"(piece {int(bad[0])} starts at {int(starts[bad[0]])}, "
                          f"expected {int(expected[bad[0]])})")
    ends = np.zeros(len(ptr) - 1, dtype=np.int64)
    nonempty = ptr[1:] > ptr[:-1]
    ends[nonempty] = starts[ptr[1:][nonempty] - 1] + lengths[ptr[1:][nonempty] - 1]
    over = np.flatnonzero(ends > seq_len)
    if over.size:
        raise CorruptData(f"{name}: sequence {int(over[0])} ends at {int(ends[over[0]])} > "
                          f"seq_len {seq_len}")
    return ends


def _check_padding(shard: Shard, seq_len: int, ends: np.ndarray, pad_id: int) -> None:
    """Every position past a sequence's last piece holds ``pad_id``."""
    positions = np.arange(seq_len)
    rows = max(1, (1 << 20) // seq_len)  # ~1M positions per block bounds the mask memory
    for lo in range(0, shard.num_sequences, rows):
        block = shard.tokens[lo:lo + rows]
        padding = positions[None, :] >= ends[lo:lo + rows, None]
        wrong = np.flatnonzero(np.any(padding & (block != pad_id), axis=1))
        if wrong.size:
            raise CorruptData(f"{shard.name}: sequence {lo + int(wrong[0])} has non-pad tokens "
                              "past its last document piece")


def _check_loss(shard: Shard, loss_on: str) -> None:
    """Invariant 5: a piece's loss-free prefix lies within the piece, and is empty everywhere
    unless the dataset was packed with loss on answers only."""
    loss = shard.piece_loss
    if not loss.size:
        return
    if loss_on != "answer" and int(loss.max()):
        raise CorruptData(f"{shard.name}: piece_loss is set but the manifest says loss_on "
                          f"{loss_on!r}")
    over = np.flatnonzero(loss > shard.piece_length)
    if over.size:
        raise CorruptData(f"{shard.name}: piece {int(over[0])} has piece_loss "
                          f"{int(loss[over[0]])} > its length {int(shard.piece_length[over[0]])}")


def _check_shard(shard: Shard, seq_len: int, num_documents: int, pad_id: int | None,
                 meta: dict[str, Any], loss_on: str) -> np.ndarray:
    """Structural invariants of one shard; returns its piece document numbers."""
    ends = _check_pieces(shard, seq_len)
    _check_loss(shard, loss_on)
    tokens = int(shard.piece_length.sum(dtype=np.uint64))
    if tokens != int(meta["tokens"]):
        raise CorruptData(f"{shard.name}: index holds {tokens} tokens, "
                          f"manifest says {meta['tokens']}")
    docs = shard.piece_doc
    if docs.size and int(docs.max()) >= num_documents:
        raise CorruptData(f"{shard.name}: document number {int(docs.max())} >= {num_documents}")
    if pad_id is not None:
        _check_padding(shard, seq_len, ends, pad_id)
    return docs


def _check_documents(reader: ShardReader) -> None:
    """Checksums of the document table; its offsets monotone from 0 to the size of the ids."""
    files = reader.manifest["documents"]["files"]
    for name, meta in files.items():
        _check_checksum(reader, f"documents ({name})", meta)
    offsets, _ = reader.document_table
    if (offsets[0] != 0 or int(offsets[-1]) != files["ids"]["bytes"]
            or np.any(np.diff(offsets.astype(np.int64)) < 0)):
        raise CorruptData("documents.offsets: not monotone from 0 to the size of documents.ids")


def verify(path: str | os.PathLike[str], *, progress: bool | None = None) -> dict[str, Any]:
    """Recompute every checksum and structural invariant of the dataset at ``path``.

    Raises ``CorruptData`` naming the first bad shard (or file) and what is wrong; returns a
    summary dict when everything holds. Reads every byte once; memory is one shard's index plus
    one byte per document. ``progress``: shards and MB checked on stderr (None: unless
    ``--quiet``).
    """
    reader = ShardReader(path)
    reader.check_files()
    manifest = reader.manifest
    num_docs = reader.num_documents
    pad_id = manifest.get("tokenizer", {}).get("pad_id")
    loss_on = str(manifest.get("loss_on", "all"))
    if reader.format_version >= 2 and loss_on not in LOSS_ON:
        raise CorruptData(f"manifest: loss_on {manifest.get('loss_on')!r} is not one of "
                          f"{', '.join(LOSS_ON)}")
    _check_documents(reader)
    # Saturating per-document piece counts (uint8): enough to tell 0, 1 and "split".
    piece_counts = np.zeros(num_docs, dtype=np.uint8)
    sequences = tokens = pieces = 0
    sizes = [sum(int(f["bytes"]) for f in meta["files"].values()) for meta in manifest["shards"]]
    with Progress("verify", len(sizes), "shards", total_bytes=sum(sizes), enabled=progress) as bar:
        for k, meta in enumerate(manifest["shards"]):
            for file_meta in meta["files"].values():
                _check_checksum(reader, meta["name"], file_meta)
            shard = reader.shard(k)
            docs = _check_shard(shard, reader.seq_len, num_docs, pad_id, meta, loss_on)
            uniq, counts = np.unique(docs, return_counts=True)
            piece_counts[uniq] = np.minimum(piece_counts[uniq].astype(np.int64) + counts, 255)
            sequences += shard.num_sequences
            tokens += int(meta["tokens"])
            pieces += int(meta["pieces"])
            bar.update(1, sizes[k])
    missing = np.flatnonzero(piece_counts == 0)
    if missing.size:
        raise CorruptData(f"totals: document {int(missing[0])} has no piece in any shard")
    found = {
        "sequences": sequences,
        "tokens": tokens,
        "pieces": pieces,
        "documents": num_docs,
        "padding_tokens": sequences * reader.seq_len - tokens,
        "split_documents": int(np.count_nonzero(piece_counts > 1)),
    }
    totals = manifest["totals"]
    for key, value in found.items():
        if int(totals.get(key, -1)) != value:
            raise CorruptData(f"totals: {key} is {value} in the shards, manifest says "
                              f"{totals.get(key)}")
    return {"path": str(reader.path), "ok": True, "shards": reader.num_shards, **found}
