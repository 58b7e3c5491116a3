"""Reading a packed dataset: ``open_shards`` reads the manifest; each shard's files are
memory-mapped on first use, zero-copy (``docs/format.md``).

This module is the one place that checks a dataset's files against its manifest: that each
listed file exists with its listed size and the size its shape implies, and the index headers.
Content invariants (piece layout, padding, totals, checksums) are ``verify``'s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.errors import CorruptData
from boostpack.format.manifest import (
    INDEX_HEADER,
    INDEX_MAGICS,
    TOKEN_DTYPES,
    index_nbytes,
    read_manifest,
)


def _dtype_from_name(name: str) -> np.dtype:
    try:
        return np.dtype(TOKEN_DTYPES[name])
    except KeyError:
        raise CorruptData(f"manifest: unknown dtype {name!r}") from None


def check_listed_file(directory: str | os.PathLike[str], listed: dict[str, Any],
                      needed: int | None = None, shape: str = "") -> str:
    """Path of the file a manifest entry ``listed`` (``path``, ``bytes``) names, after checking
    that it exists with the listed size and, when given, the ``needed`` size its ``shape``
    implies. One ``stat``, on a joined string: pathlib's object churn tripled the open time."""
    base = os.fspath(directory)
    path = os.path.join(base, listed["path"])
    try:
        actual = os.stat(path).st_size
    except FileNotFoundError:
        raise CorruptData(f"{base}: {listed['path']} is missing") from None
    if actual != listed["bytes"] or (needed is not None and actual != needed):
        need = f" and {shape} need {needed}" if needed is not None else ""
        raise CorruptData(f"{base}: {listed['path']} is {actual} bytes; the manifest lists "
                          f"{listed['bytes']}{need}")
    return path


@dataclass(frozen=True)
class Shard:
    """One shard, memory-mapped read-only. ``tokens``: ``dtype[S, seq_len]``; ``seq_ptr``:
    ``uint64[S + 1]``; ``piece_start``/``piece_length``: ``uint32[P]``; ``piece_doc``:
    ``uint64[P]``; ``piece_loss``: ``uint32[P]`` (format 1: zeros). All are zero-copy views of
    the files."""

    name: str
    tokens: np.ndarray
    seq_ptr: np.ndarray
    piece_start: np.ndarray
    piece_length: np.ndarray
    piece_doc: np.ndarray
    piece_loss: np.ndarray

    @property
    def num_sequences(self) -> int:
        return self.tokens.shape[0]

    def pieces(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Starts (``uint32``), lengths (``uint32``) and document numbers (``uint64``) of the
        pieces of local sequence ``j``, in position order (views, no copy)."""
        lo, hi = int(self.seq_ptr[j]), int(self.seq_ptr[j + 1])
        return self.piece_start[lo:hi], self.piece_length[lo:hi], self.piece_doc[lo:hi]


def _map_index(path: str, num_sequences: int, num_pieces: int, version: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Views (seq_ptr, piece_start, piece_length, piece_doc, piece_loss) of an ``.index`` file
    of the checked size; checks its header against the manifest counts."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    magic, s, p, _ = INDEX_HEADER.unpack(bytes(raw[:INDEX_HEADER.size]))
    if magic != INDEX_MAGICS[version] or s != num_sequences or p != num_pieces:
        raise CorruptData(f"{os.path.basename(path)}: header says {s} sequences / {p} pieces "
                          f"(magic {magic!r}), manifest says {num_sequences} / {num_pieces}")
    o = INDEX_HEADER.size
    seq_ptr = raw[o:o + 8 * (s + 1)].view("<u8")
    o += 8 * (s + 1)
    starts = raw[o:o + 4 * p].view("<u4")
    lengths = raw[o + 4 * p:o + 8 * p].view("<u4")
    docs = raw[o + 8 * p:o + 16 * p].view("<u8")
    loss = (raw[o + 16 * p:o + 20 * p].view("<u4") if version >= 2
            else np.broadcast_to(np.zeros(1, dtype="<u4"), (p,)))
    return seq_ptr, starts, lengths, docs, loss


class ShardReader:
    """Low-level reader of a packed dataset: opening reads only the manifest (O(shards)); each
    shard's files are memory-mapped on first use and cached.

    Global sequence ``i`` lives in shard ``k`` where ``sequence_offsets[k] <= i <
    sequence_offsets[k + 1]``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        self.seq_len: int = int(self.manifest["seq_len"])
        self.dtype = _dtype_from_name(self.manifest["dtype"])
        self.format_version: int = int(self.manifest["format_version"])
        counts = [int(s["sequences"]) for s in self.manifest["shards"]]
        self.sequence_offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.sequence_offsets[1:])
        self._shards: dict[int, Shard] = {}

    @property
    def num_shards(self) -> int:
        return len(self.manifest["shards"])

    @property
    def num_sequences(self) -> int:
        return int(self.sequence_offsets[-1])

    @property
    def num_documents(self) -> int:
        return int(self.manifest["documents"]["count"])

    def __len__(self) -> int:
        return self.num_sequences

    # -- checks against the manifest --------------------------------------------------------
    def _check_shard_files(self, k: int) -> tuple[str, str]:
        """Paths of shard ``k``'s token and index files, checked (see ``check_listed_file``)."""
        meta = self.manifest["shards"][k]
        s, p = int(meta["sequences"]), int(meta["pieces"])
        files = meta["files"]
        tokens = check_listed_file(self.path, files["tokens"],
                                   s * self.seq_len * self.dtype.itemsize,
                                   f"{s} sequences x {self.seq_len} tokens")
        index = check_listed_file(self.path, files["index"],
                                  index_nbytes(s, p, self.format_version),
                                  f"{s} sequences and {p} pieces")
        return tokens, index

    def _check_document_files(self) -> tuple[str, str]:
        """Paths of ``documents.offsets`` and ``documents.ids``, checked."""
        files = self.manifest["documents"]["files"]
        count = self.num_documents
        offsets = check_listed_file(self.path, files["offsets"], 8 * (count + 1),
                                    f"{count} documents")
        return offsets, check_listed_file(self.path, files["ids"])

    def check_files(self) -> None:
        """Every file the manifest lists exists with the listed size and the size the shapes
        imply, and the shards' sequences add up to the totals: one ``stat`` per file catches a
        truncated, swapped or missing file without reading it (O(shards))."""
        total = 0
        for k, meta in enumerate(self.manifest["shards"]):
            self._check_shard_files(k)
            total += int(meta["sequences"])
        self._check_document_files()
        if total != int(self.manifest["totals"]["sequences"]):
            raise CorruptData(f"{self.path}: shards hold {total} sequences, manifest totals say "
                              f"{self.manifest['totals']['sequences']}")

    # -- data -------------------------------------------------------------------------------
    def shard(self, k: int) -> Shard:
        """Shard ``k``, mapped lazily (the first call for ``k`` checks and opens its files)."""
        cached = self._shards.get(k)
        if cached is not None:
            return cached
        meta = self.manifest["shards"][k]
        s, p = int(meta["sequences"]), int(meta["pieces"])
        tok_path, index_path = self._check_shard_files(k)
        tokens = np.memmap(tok_path, dtype=self.dtype, mode="r", shape=(s, self.seq_len))
        shard = Shard(meta["name"], tokens, *_map_index(index_path, s, p, self.format_version))
        self._shards[k] = shard
        return shard

    def locate(self, i: int) -> tuple[int, int]:
        """(shard number, row within the shard) of global sequence ``i``."""
        if not 0 <= i < self.num_sequences:
            raise IndexError(f"sequence {i} out of range [0, {self.num_sequences})")
        k = int(np.searchsorted(self.sequence_offsets, i, side="right")) - 1
        return k, i - int(self.sequence_offsets[k])

    def tokens(self, i: int) -> np.ndarray:
        """Token row of global sequence ``i``: ``dtype[seq_len]``, a view of the mapping."""
        k, j = self.locate(i)
        return self.shard(k).tokens[j]

    def pieces(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, lengths, document numbers) of global sequence ``i``; see ``Shard.pieces``."""
        k, j = self.locate(i)
        return self.shard(k).pieces(j)

    @cached_property
    def document_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(offsets ``uint64[D + 1]``, ids ``uint8[...]``) of the document table, mapped."""
        off_path, ids_path = self._check_document_files()
        offsets = np.memmap(off_path, dtype="<u8", mode="r")
        ids = (np.memmap(ids_path, dtype=np.uint8, mode="r") if os.path.getsize(ids_path)
               else np.zeros(0, dtype=np.uint8))
        return offsets, ids

    def record_id(self, doc: int) -> str:
        """Source record id of document number ``doc``."""
        if not 0 <= doc < self.num_documents:
            raise IndexError(f"document {doc} out of range [0, {self.num_documents})")
        offsets, ids = self.document_table
        return bytes(ids[int(offsets[doc]):int(offsets[doc + 1])]).decode("utf-8")

    def document_tokens(self, doc: int) -> np.ndarray:
        """Tokens of document ``doc`` reassembled from its pieces (a scan of all indexes: for
        tests and debugging, O(pieces))."""
        parts = []
        for k in range(self.num_shards):
            sh = self.shard(k)
            for p in np.flatnonzero(sh.piece_doc == doc):
                j = int(np.searchsorted(sh.seq_ptr, p, side="right")) - 1
                start = int(sh.piece_start[p])
                parts.append(sh.tokens[j, start:start + int(sh.piece_length[p])])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=self.dtype)


def open_shards(path: str | os.PathLike[str]) -> ShardReader:
    """Open the packed dataset directory ``path`` (reads only its manifest)."""
    return ShardReader(path)
