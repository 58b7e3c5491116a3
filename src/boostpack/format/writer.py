"""Writing a packed dataset: ``ShardWriter`` streams blocks of sequences into shard files and
document ids into the document table, each file to a temp name that is renamed when complete,
and writes ``manifest.json`` last (``docs/format.md``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from boostpack.errors import InvalidInput
from boostpack.format.manifest import (
    DOC_IDS,
    DOC_OFFSETS,
    INDEX_HEADER,
    INDEX_MAGIC,
    MANIFEST,
    TOKEN_DTYPES,
    build_manifest,
    check_seq_len,
    shard_name,
    token_dtype_name,
    write_manifest,
)
from boostpack.runtime.atomic import TMP_PREFIX, naming_output
from boostpack.runtime.direct_io import AppendFile


def token_dtype(vocab_size: int) -> np.dtype:
    """Little-endian ``uint16`` when every id fits (vocab ≤ 65,536), else ``uint32``."""
    return np.dtype(TOKEN_DTYPES[token_dtype_name(vocab_size)])


def dtype_name(dtype: np.dtype) -> str:
    """The manifest's name of a token dtype; InvalidInput for any other dtype."""
    for name, spelling in TOKEN_DTYPES.items():
        if np.dtype(dtype) == np.dtype(spelling):
            return name
    raise InvalidInput(f"token dtype must be one of {', '.join(TOKEN_DTYPES)}, got {dtype}")


class HashingFile:
    """A temp file written sequentially while its xxh3 and size are accumulated, renamed into
    place by ``commit`` (fsync first), deleted by ``discard``. ``large``: written past the page
    cache where the system allows it (``runtime.direct_io``: token shards)."""

    def __init__(self, final: Path, large: bool = False) -> None:
        self.final = final
        self.tmp = final.with_name(f"{TMP_PREFIX}{final.name}.{os.getpid()}")
        self._out = AppendFile(self.tmp, direct=large)
        self._hash = xxhash.xxh3_64()
        self.nbytes = 0

    def write(self, data: Any) -> None:
        """Append ``data`` (anything exposing a contiguous buffer)."""
        view = memoryview(data).cast("B")
        with naming_output(self.final):
            self._out.write(view)
        self._hash.update(view)
        self.nbytes += view.nbytes

    def commit(self) -> dict[str, Any]:
        """Rename into place; return the manifest's entry for the file."""
        with naming_output(self.final):
            self._out.close(sync=True)
        os.replace(self.tmp, self.final)
        return {"path": self.final.name, "bytes": self.nbytes, "xxh3": self._hash.hexdigest()}

    def discard(self) -> None:
        self._out.discard()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def write_index(path: Path, seq_ptr: np.ndarray, piece_start: np.ndarray,
                piece_length: np.ndarray, piece_doc: np.ndarray, piece_loss: np.ndarray
                ) -> dict[str, Any]:
    """Write a shard's ``.index`` (``docs/format.md``: header, ``seq_ptr``, then the piece arrays)
    atomically; return its manifest entry. ``seq_ptr`` has one entry more than the sequences."""
    index = HashingFile(path)
    try:
        index.write(INDEX_HEADER.pack(INDEX_MAGIC, len(seq_ptr) - 1, len(piece_length), 0))
        index.write(np.ascontiguousarray(seq_ptr, dtype="<u8"))
        index.write(np.ascontiguousarray(piece_start, dtype="<u4"))
        index.write(np.ascontiguousarray(piece_length, dtype="<u4"))
        index.write(np.ascontiguousarray(piece_doc, dtype="<u8"))
        index.write(np.ascontiguousarray(piece_loss, dtype="<u4"))
        return index.commit()
    except BaseException:
        index.discard()
        raise


class DocumentTable:
    """``documents.ids`` (UTF-8 record ids, concatenated) and ``documents.offsets``
    (``uint64[D + 1]`` byte offsets into the ids), appended in document order."""

    def __init__(self, directory: Path) -> None:
        self.count = 0
        self._ids = HashingFile(directory / DOC_IDS)
        self._offsets = HashingFile(directory / DOC_OFFSETS)
        self._offsets.write(np.zeros(1, dtype="<u8"))
        self._id_bytes = 0

    def add(self, data: Any, lengths: np.ndarray) -> int:
        """Append ids given as UTF-8 bytes ``data``, ``lengths`` bytes each; return the first
        new document number."""
        first = self.count
        if not len(lengths):
            return first
        ends = np.cumsum(lengths, dtype=np.uint64) + np.uint64(self._id_bytes)
        if int(ends[-1]) - self._id_bytes != memoryview(data).nbytes:
            raise InvalidInput("record id lengths do not add up to the id bytes")
        self._ids.write(data)
        self._offsets.write(ends.astype("<u8"))
        self._id_bytes = int(ends[-1])
        self.count += len(lengths)
        return first

    def commit(self) -> dict[str, Any]:
        """Rename both files into place; return the manifest's ``documents`` entry."""
        return {"count": self.count,
                "files": {"offsets": self._offsets.commit(), "ids": self._ids.commit()}}

    def discard(self) -> None:
        self._ids.discard()
        self._offsets.discard()


class ShardWriter:
    """Append packed sequences and document ids; ``finish`` writes the manifest last.

    Sequences arrive in blocks (see ``write``); a block may straddle shards. Memory is bounded
    by one shard's index (16 bytes per piece) plus the caller's block.
    """

    def __init__(self, directory: str | os.PathLike[str], *, seq_len: int, dtype: np.dtype,
                 sequences_per_shard: int) -> None:
        self.seq_len = check_seq_len(seq_len)
        if sequences_per_shard <= 0:
            raise InvalidInput(f"sequences_per_shard must be positive, got {sequences_per_shard}")
        self.dtype = np.dtype(dtype)
        self._dtype_name = dtype_name(self.dtype)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        if (self.directory / MANIFEST).exists():
            raise InvalidInput(f"{self.directory} already holds a dataset (manifest.json)")
        self.sequences_per_shard = sequences_per_shard
        self.shards: list[dict[str, Any]] = []
        self._tokens: HashingFile | None = None
        self._rows = 0
        self._ptr_parts: list[np.ndarray] = []
        self._start_parts: list[np.ndarray] = []
        self._length_parts: list[np.ndarray] = []
        self._doc_parts: list[np.ndarray] = []
        self._loss_parts: list[np.ndarray] = []
        self._shard_pieces = 0
        self._documents = DocumentTable(self.directory)

    # -- documents ---------------------------------------------------------------------------
    @property
    def num_documents(self) -> int:
        """Documents registered so far."""
        return self._documents.count

    def add_documents(self, record_ids: Sequence[str]) -> int:
        """Register the next ``len(record_ids)`` documents; return the first document number."""
        joined = "".join(record_ids)
        if joined.isascii():  # the usual case: one encode, lengths without per-id bytes
            lengths = np.fromiter(map(len, record_ids), dtype=np.uint64, count=len(record_ids))
            return self.add_encoded_documents(joined.encode("ascii"), lengths)
        encoded = [r.encode("utf-8") for r in record_ids]
        lengths = np.fromiter(map(len, encoded), dtype=np.uint64, count=len(encoded))
        return self.add_encoded_documents(b"".join(encoded), lengths)

    def add_encoded_documents(self, data: Any, lengths: np.ndarray) -> int:
        """``add_documents`` for ids already UTF-8 encoded and concatenated in ``data`` (bytes
        or ``uint8``), ``lengths`` bytes each; return the first document number."""
        return self._documents.add(data, lengths)

    # -- sequences ---------------------------------------------------------------------------
    def write(self, tokens: np.ndarray, seq_ptr: np.ndarray, piece_start: np.ndarray,
              piece_length: np.ndarray, piece_doc: np.ndarray,
              piece_loss: np.ndarray | None = None) -> None:
        """Append ``n`` sequences.

        tokens: ``dtype[n, seq_len]``; seq_ptr: ``uint64[n + 1]`` with ``seq_ptr[0] == 0``,
        offsets into the piece arrays; piece_start / piece_length: ``uint32[P]`` in tokens;
        piece_doc: ``uint64[P]`` global document numbers; piece_loss: ``uint32[P]``, leading
        tokens of each piece that carry no loss (None: 0 for every piece).
        """
        tokens = np.asarray(tokens)
        n = tokens.shape[0] if tokens.ndim == 2 else -1
        if tokens.ndim != 2 or tokens.shape[1] != self.seq_len:
            raise InvalidInput(f"tokens must have shape (n, {self.seq_len}), got {tokens.shape}")
        seq_ptr = np.asarray(seq_ptr, dtype=np.uint64)
        if seq_ptr.shape != (n + 1,) or seq_ptr[0] != 0:
            raise InvalidInput("seq_ptr must have n + 1 entries starting at 0")
        num_pieces = int(seq_ptr[-1])
        if piece_loss is None:
            piece_loss = np.zeros(num_pieces, dtype=np.uint32)
        arrays = [np.asarray(a) for a in (piece_start, piece_length, piece_doc, piece_loss)]
        if any(a.shape != (num_pieces,) for a in arrays):
            raise InvalidInput("piece arrays must have seq_ptr[-1] entries")
        if num_pieces and np.any(arrays[3] > arrays[1]):
            raise InvalidInput("piece_loss must not exceed piece_length")
        tokens = np.ascontiguousarray(tokens, dtype=self.dtype)
        row = 0
        while row < n:
            if self._tokens is None:
                self._open_shard()
            take = min(n - row, self.sequences_per_shard - self._rows)
            lo, hi = int(seq_ptr[row]), int(seq_ptr[row + take])
            assert self._tokens is not None
            self._tokens.write(tokens[row:row + take])
            self._ptr_parts.append(seq_ptr[row + 1:row + take + 1] - np.uint64(lo)
                                   + np.uint64(self._shard_pieces))
            self._start_parts.append(np.asarray(arrays[0][lo:hi], dtype="<u4"))
            self._length_parts.append(np.asarray(arrays[1][lo:hi], dtype="<u4"))
            self._doc_parts.append(np.asarray(arrays[2][lo:hi], dtype="<u8"))
            self._loss_parts.append(np.asarray(arrays[3][lo:hi], dtype="<u4"))
            self._shard_pieces += hi - lo
            self._rows += take
            row += take
            if self._rows == self.sequences_per_shard:
                self._close_shard()

    def _open_shard(self) -> None:
        name = shard_name(len(self.shards))
        self._tokens = HashingFile(self.directory / f"{name}.tokens", large=True)
        self._rows = 0
        self._shard_pieces = 0
        self._ptr_parts = [np.zeros(1, dtype="<u8")]
        self._start_parts, self._length_parts, self._doc_parts, self._loss_parts = [], [], [], []

    def _close_shard(self) -> None:
        assert self._tokens is not None
        name = self._tokens.final.stem
        token_meta = self._tokens.commit()
        self._tokens = None
        lengths = np.concatenate(self._length_parts)
        index_meta = write_index(self.directory / f"{name}.index", np.concatenate(self._ptr_parts),
                                 np.concatenate(self._start_parts), lengths,
                                 np.concatenate(self._doc_parts), np.concatenate(self._loss_parts))
        self.shards.append({
            "name": name,
            "sequences": self._rows,
            "pieces": self._shard_pieces,
            "tokens": int(lengths.sum(dtype=np.uint64)),
            "files": {"tokens": token_meta, "index": index_meta},
        })
        self._ptr_parts, self._start_parts, self._length_parts = [], [], []
        self._doc_parts, self._loss_parts = [], []

    # -- completion --------------------------------------------------------------------------
    def close(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Close the last shard and the document table (both renamed into place); return the
        manifest's ``shards`` list and ``documents`` entry. No manifest is written: ``finish``
        does that, or a caller that joins several writers' outputs."""
        if self._tokens is not None:
            self._close_shard()
        return self.shards, self._documents.commit()

    def finish(self, fields: dict[str, Any], split_documents: int) -> dict[str, Any]:
        """Close the last shard and the document table, then write ``manifest.json`` (last).

        ``fields`` carries the caller's metadata (see ``manifest.build_manifest``). Returns the
        manifest.
        """
        shards, documents = self.close()
        manifest = build_manifest(
            fields, seq_len=self.seq_len, dtype=self._dtype_name,
            sequences_per_shard=self.sequences_per_shard, shards=shards,
            documents=documents, split_documents=split_documents)
        write_manifest(self.directory, manifest)
        return manifest

    def abort(self) -> None:
        """Delete the temp files of unfinished output (finished shards stay; no manifest)."""
        if self._tokens is not None:
            self._tokens.discard()
        self._documents.discard()
        self._tokens = None

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            self.abort()
