"""The packed dataset on disk: a streaming writer, a lazy memory-mapped reader, ``verify`` and
``describe``. The exact byte layout is specified in ``docs/format.md``; this module is its only
implementation.

A dataset is a directory whose ``manifest.json`` (written last) lists every shard: a token file
``uint16|uint32[S, seq_len]`` and a document index (CSR over document pieces), plus a global
table mapping document numbers to source record ids.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from boostpack._version import __version__
from boostpack.errors import CorruptData, InvalidInput
from boostpack.runtime.atomic import TMP_PREFIX, atomic_write

FORMAT_NAME = "boostpack.packed"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
INDEX_MAGIC = b"BPINDEX1"
INDEX_HEADER = struct.Struct("<8sQQQ")  # magic, num_sequences, num_pieces, reserved
DOC_OFFSETS = "documents.offsets"
DOC_IDS = "documents.ids"
_HASH_CHUNK = 1 << 24  # 16 MiB reads keep verify streaming over multi-GB shards


def token_dtype(vocab_size: int) -> np.dtype:
    """Little-endian ``uint16`` when every id fits (vocab ≤ 65,536), else ``uint32``."""
    if vocab_size <= 0:
        raise InvalidInput(f"vocab_size must be positive, got {vocab_size}")
    return np.dtype("<u2") if vocab_size <= 1 << 16 else np.dtype("<u4")


def _dtype_name(dtype: np.dtype) -> str:
    return {np.dtype("<u2"): "uint16", np.dtype("<u4"): "uint32"}[np.dtype(dtype)]


_DTYPES: dict[str, np.dtype] = {"uint16": np.dtype("<u2"), "uint32": np.dtype("<u4")}


def _dtype_from_name(name: str) -> np.dtype:
    try:
        return _DTYPES[name]
    except KeyError:
        raise CorruptData(f"manifest: unknown dtype {name!r}") from None


def index_nbytes(num_sequences: int, num_pieces: int) -> int:
    """Size in bytes of a shard's ``.index`` file."""
    return INDEX_HEADER.size + 8 * (num_sequences + 1) + 16 * num_pieces


def file_xxh3(path: str | os.PathLike[str]) -> str:
    """Hex xxh3-64 of a whole file, read in 16 MiB chunks."""
    h = xxhash.xxh3_64()
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class _HashingFile:
    """A temp file written sequentially while its xxh3 and size are accumulated, renamed into
    place by ``commit`` (fsync first), deleted by ``discard``."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.tmp = final.with_name(f"{TMP_PREFIX}{final.name}.{os.getpid()}")
        self._f = open(self.tmp, "wb")  # noqa: SIM115 - closed in commit/discard
        self._hash = xxhash.xxh3_64()
        self.nbytes = 0

    def write(self, data: Any) -> None:
        """Append ``data`` (anything exposing a contiguous buffer)."""
        view = memoryview(data).cast("B")
        self._f.write(view)
        self._hash.update(view)
        self.nbytes += view.nbytes

    def commit(self) -> dict[str, Any]:
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        os.replace(self.tmp, self.final)
        return {"path": self.final.name, "bytes": self.nbytes, "xxh3": self._hash.hexdigest()}

    def discard(self) -> None:
        self._f.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


class ShardWriter:
    """Append packed sequences and document ids; ``finish`` writes the manifest last.

    Sequences arrive in blocks (see ``write``); a block may straddle shards. Memory is bounded
    by one shard's index (16 bytes per piece) plus the caller's block.
    """

    def __init__(self, directory: str | os.PathLike[str], *, seq_len: int, dtype: np.dtype,
                 sequences_per_shard: int) -> None:
        if seq_len <= 0 or sequences_per_shard <= 0:
            raise InvalidInput("seq_len and sequences_per_shard must be positive")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        if (self.directory / MANIFEST).exists():
            raise InvalidInput(f"{self.directory} already holds a dataset (manifest.json)")
        self.seq_len = seq_len
        self.dtype = np.dtype(dtype)
        _dtype_name(self.dtype)
        self.sequences_per_shard = sequences_per_shard
        self.shards: list[dict[str, Any]] = []
        self.num_documents = 0
        self._tokens: _HashingFile | None = None
        self._rows = 0
        self._ptr_parts: list[np.ndarray] = []
        self._start_parts: list[np.ndarray] = []
        self._length_parts: list[np.ndarray] = []
        self._doc_parts: list[np.ndarray] = []
        self._shard_pieces = 0
        self._doc_ids = _HashingFile(self.directory / DOC_IDS)
        self._doc_offsets = _HashingFile(self.directory / DOC_OFFSETS)
        self._doc_offsets.write(np.zeros(1, dtype="<u8"))
        self._id_bytes = 0

    # -- documents ---------------------------------------------------------------------------
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
        first = self.num_documents
        if not len(lengths):
            return first
        ends = np.cumsum(lengths, dtype=np.uint64) + np.uint64(self._id_bytes)
        if int(ends[-1]) - self._id_bytes != memoryview(data).nbytes:
            raise InvalidInput("record id lengths do not add up to the id bytes")
        self._doc_ids.write(data)
        self._doc_offsets.write(ends.astype("<u8"))
        self._id_bytes = int(ends[-1])
        self.num_documents += len(lengths)
        return first

    # -- sequences ---------------------------------------------------------------------------
    def write(self, tokens: np.ndarray, seq_ptr: np.ndarray, piece_start: np.ndarray,
              piece_length: np.ndarray, piece_doc: np.ndarray) -> None:
        """Append ``n`` sequences.

        tokens: ``dtype[n, seq_len]``; seq_ptr: ``uint64[n + 1]`` with ``seq_ptr[0] == 0``,
        offsets into the piece arrays; piece_start / piece_length: ``uint32[P]`` in tokens;
        piece_doc: ``uint64[P]`` global document numbers.
        """
        tokens = np.asarray(tokens)
        n = tokens.shape[0] if tokens.ndim == 2 else -1
        if tokens.ndim != 2 or tokens.shape[1] != self.seq_len:
            raise InvalidInput(f"tokens must have shape (n, {self.seq_len}), got {tokens.shape}")
        seq_ptr = np.asarray(seq_ptr, dtype=np.uint64)
        if seq_ptr.shape != (n + 1,) or seq_ptr[0] != 0:
            raise InvalidInput("seq_ptr must have n + 1 entries starting at 0")
        num_pieces = int(seq_ptr[-1])
        arrays = [np.asarray(a) for a in (piece_start, piece_length, piece_doc)]
        if any(a.shape != (num_pieces,) for a in arrays):
            raise InvalidInput("piece arrays must have seq_ptr[-1] entries")
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
            self._shard_pieces += hi - lo
            self._rows += take
            row += take
            if self._rows == self.sequences_per_shard:
                self._close_shard()

    def _open_shard(self) -> None:
        name = f"shard-{len(self.shards):05d}"
        self._tokens = _HashingFile(self.directory / f"{name}.tokens")
        self._rows = 0
        self._shard_pieces = 0
        self._ptr_parts = [np.zeros(1, dtype="<u8")]
        self._start_parts, self._length_parts, self._doc_parts = [], [], []

    def _close_shard(self) -> None:
        assert self._tokens is not None
        name = self._tokens.final.stem
        token_meta = self._tokens.commit()
        self._tokens = None
        seq_ptr = np.concatenate(self._ptr_parts).astype("<u8")
        lengths = np.concatenate(self._length_parts).astype("<u4")
        index = _HashingFile(self.directory / f"{name}.index")
        try:
            index.write(INDEX_HEADER.pack(INDEX_MAGIC, self._rows, self._shard_pieces, 0))
            index.write(seq_ptr)
            index.write(np.concatenate(self._start_parts).astype("<u4"))
            index.write(lengths)
            index.write(np.concatenate(self._doc_parts).astype("<u8"))
            index_meta = index.commit()
        except BaseException:
            index.discard()
            raise
        self.shards.append({
            "name": name,
            "sequences": self._rows,
            "pieces": self._shard_pieces,
            "tokens": int(lengths.sum(dtype=np.uint64)),
            "files": {"tokens": token_meta, "index": index_meta},
        })
        self._ptr_parts, self._start_parts, self._length_parts, self._doc_parts = [], [], [], []

    # -- completion --------------------------------------------------------------------------
    def finish(self, fields: dict[str, Any], split_documents: int) -> dict[str, Any]:
        """Close the last shard and the document table, then write ``manifest.json`` (last).

        ``fields`` carries the caller's metadata (tokenizer, template, strategy, sources, record
        counts under ``totals``); the writer adds format, layout, shards and its own totals.
        Returns the manifest.
        """
        if self._tokens is not None:
            self._close_shard()
        documents = {"count": self.num_documents,
                     "files": {"offsets": self._doc_offsets.commit(), "ids": self._doc_ids.commit()}}
        sequences = sum(s["sequences"] for s in self.shards)
        tokens = sum(s["tokens"] for s in self.shards)
        totals = dict(fields.get("totals", {}))
        totals.update({
            "documents": self.num_documents,
            "pieces": sum(s["pieces"] for s in self.shards),
            "tokens": tokens,
            "sequences": sequences,
            "padding_tokens": sequences * self.seq_len - tokens,
            "split_documents": split_documents,
        })
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "boostpack_version": __version__,
            **{k: v for k, v in fields.items() if k != "totals"},
            "seq_len": self.seq_len,
            "dtype": _dtype_name(self.dtype),
            "byte_order": "little",
            "sequences_per_shard": self.sequences_per_shard,
            "totals": totals,
            "shards": self.shards,
            "documents": documents,
        }
        with atomic_write(self.directory / MANIFEST, "wb") as f:
            os.fchmod(f.fileno(), 0o644)  # like the shards; mkstemp's 0600 would hide it
            f.write(json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8") + b"\n")
        return manifest

    def abort(self) -> None:
        """Delete the temp files of unfinished output (finished shards stay; no manifest)."""
        for part in (self._tokens, self._doc_ids, self._doc_offsets):
            if part is not None:
                part.discard()
        self._tokens = None

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            self.abort()


# -- reading -----------------------------------------------------------------------------------


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and sanity-check ``manifest.json`` of the dataset directory ``path``."""
    file = Path(path) / MANIFEST
    if not file.is_file():
        raise CorruptData(f"{path}: no {MANIFEST}; not a packed dataset (or an unfinished run)")
    try:
        manifest = json.loads(file.read_bytes())
    except ValueError as exc:
        raise CorruptData(f"{file}: not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise CorruptData(f"{file}: not a {FORMAT_NAME} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise CorruptData(f"{file}: unsupported format_version {manifest.get('format_version')}")
    for key in ("seq_len", "dtype", "shards", "documents", "totals"):
        if key not in manifest:
            raise CorruptData(f"{file}: missing {key!r}")
    return manifest


@dataclass(frozen=True)
class Shard:
    """One shard, memory-mapped read-only. ``tokens``: ``dtype[S, seq_len]``; ``seq_ptr``:
    ``uint64[S + 1]``; ``piece_start``/``piece_length``: ``uint32[P]``; ``piece_doc``:
    ``uint64[P]``. All are zero-copy views of the files."""

    name: str
    tokens: np.ndarray
    seq_ptr: np.ndarray
    piece_start: np.ndarray
    piece_length: np.ndarray
    piece_doc: np.ndarray

    @property
    def num_sequences(self) -> int:
        return self.tokens.shape[0]

    def pieces(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Starts (``uint32``), lengths (``uint32``) and document numbers (``uint64``) of the
        pieces of local sequence ``j``, in position order (views, no copy)."""
        lo, hi = int(self.seq_ptr[j]), int(self.seq_ptr[j + 1])
        return self.piece_start[lo:hi], self.piece_length[lo:hi], self.piece_doc[lo:hi]


def _map_index(path: Path, num_sequences: int, num_pieces: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Views (seq_ptr, piece_start, piece_length, piece_doc) of an ``.index`` file; checks the
    header and size against the manifest counts."""
    expected = index_nbytes(num_sequences, num_pieces)
    size = path.stat().st_size
    if size != expected:
        raise CorruptData(f"{path.name}: {size} bytes, expected {expected}")
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    magic, s, p, _ = INDEX_HEADER.unpack(bytes(raw[:INDEX_HEADER.size]))
    if magic != INDEX_MAGIC or s != num_sequences or p != num_pieces:
        raise CorruptData(f"{path.name}: header says {s} sequences / {p} pieces (magic {magic!r}),"
                          f" manifest says {num_sequences} / {num_pieces}")
    o = INDEX_HEADER.size
    seq_ptr = raw[o:o + 8 * (s + 1)].view("<u8")
    o += 8 * (s + 1)
    starts = raw[o:o + 4 * p].view("<u4")
    lengths = raw[o + 4 * p:o + 8 * p].view("<u4")
    docs = raw[o + 8 * p:o + 16 * p].view("<u8")
    return seq_ptr, starts, lengths, docs


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

    def shard(self, k: int) -> Shard:
        """Shard ``k``, mapped lazily (the first call for ``k`` opens its two files)."""
        cached = self._shards.get(k)
        if cached is not None:
            return cached
        meta = self.manifest["shards"][k]
        s, p = int(meta["sequences"]), int(meta["pieces"])
        tok_path = self.path / meta["files"]["tokens"]["path"]
        expected = s * self.seq_len * self.dtype.itemsize
        if tok_path.stat().st_size != expected:
            raise CorruptData(f"{meta['name']}: token file is {tok_path.stat().st_size} bytes, "
                              f"expected {expected}")
        tokens = np.memmap(tok_path, dtype=self.dtype, mode="r", shape=(s, self.seq_len))
        seq_ptr, starts, lengths, docs = _map_index(
            self.path / meta["files"]["index"]["path"], s, p)
        shard = Shard(meta["name"], tokens, seq_ptr, starts, lengths, docs)
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
    def _doc_table(self) -> tuple[np.ndarray, np.ndarray]:
        files = self.manifest["documents"]["files"]
        count = self.num_documents
        off_path = self.path / files["offsets"]["path"]
        if off_path.stat().st_size != 8 * (count + 1):
            raise CorruptData(f"{off_path.name}: size does not match {count} documents")
        offsets = np.memmap(off_path, dtype="<u8", mode="r")
        ids_path = self.path / files["ids"]["path"]
        ids = (np.memmap(ids_path, dtype=np.uint8, mode="r") if ids_path.stat().st_size
               else np.zeros(0, dtype=np.uint8))
        return offsets, ids

    def record_id(self, doc: int) -> str:
        """Source record id of document number ``doc``."""
        if not 0 <= doc < self.num_documents:
            raise IndexError(f"document {doc} out of range [0, {self.num_documents})")
        offsets, ids = self._doc_table
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


# -- verification ------------------------------------------------------------------------------


def _check_file(directory: Path, owner: str, meta: dict[str, Any]) -> None:
    file = directory / meta["path"]
    if not file.is_file():
        raise CorruptData(f"{owner}: {meta['path']} is missing")
    size = file.stat().st_size
    if size != meta["bytes"]:
        raise CorruptData(f"{owner}: {meta['path']} is {size} bytes, manifest says {meta['bytes']}")
    digest = file_xxh3(file)
    if digest != meta["xxh3"]:
        raise CorruptData(f"{owner}: {meta['path']} checksum {digest} != manifest {meta['xxh3']}")


def _check_shard(shard: Shard, seq_len: int, num_documents: int, pad_id: int | None,
                 meta: dict[str, Any]) -> np.ndarray:
    """Structural invariants of one shard; returns its piece document numbers."""
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
    if int(lengths.sum()) != int(meta["tokens"]):
        raise CorruptData(f"{name}: index holds {int(lengths.sum())} tokens, "
                          f"manifest says {meta['tokens']}")
    docs = shard.piece_doc
    if docs.size and int(docs.max()) >= num_documents:
        raise CorruptData(f"{name}: document number {int(docs.max())} >= {num_documents}")
    if pad_id is not None:
        positions = np.arange(seq_len)
        rows = max(1, (1 << 20) // seq_len)  # ~1M positions per block bounds the mask memory
        for lo in range(0, shard.num_sequences, rows):
            block = shard.tokens[lo:lo + rows]
            padding = positions[None, :] >= ends[lo:lo + rows, None]
            wrong = np.flatnonzero(np.any(padding & (block != pad_id), axis=1))
            if wrong.size:
                raise CorruptData(f"{name}: sequence {lo + int(wrong[0])} has non-pad tokens "
                                  "past its last document piece")
    return docs


def verify(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Recompute every checksum and structural invariant of the dataset at ``path``.

    Raises ``CorruptData`` naming the first bad shard (or file) and what is wrong; returns a
    summary dict when everything holds. Reads every byte once; memory is one shard's index plus
    one byte per document.
    """
    reader = ShardReader(path)
    manifest = reader.manifest
    directory = reader.path
    num_docs = reader.num_documents
    pad_id = manifest.get("tokenizer", {}).get("pad_id")
    for name, meta in manifest["documents"]["files"].items():
        _check_file(directory, f"documents ({name})", meta)
    offsets, _ = reader._doc_table
    ids_bytes = manifest["documents"]["files"]["ids"]["bytes"]
    if offsets[0] != 0 or int(offsets[-1]) != ids_bytes or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise CorruptData("documents.offsets: not monotone from 0 to the size of documents.ids")
    # Saturating per-document piece counts (uint8): enough to tell 0, 1 and "split".
    piece_counts = np.zeros(num_docs, dtype=np.uint8)
    sequences = tokens = pieces = 0
    for k, meta in enumerate(manifest["shards"]):
        for file_meta in meta["files"].values():
            _check_file(directory, meta["name"], file_meta)
        shard = reader.shard(k)
        docs = _check_shard(shard, reader.seq_len, num_docs, pad_id, meta)
        uniq, counts = np.unique(docs, return_counts=True)
        piece_counts[uniq] = np.minimum(piece_counts[uniq].astype(np.int64) + counts, 255)
        sequences += shard.num_sequences
        tokens += int(meta["tokens"])
        pieces += int(meta["pieces"])
    totals = manifest["totals"]
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
    for key, value in found.items():
        if int(totals.get(key, -1)) != value:
            raise CorruptData(f"totals: {key} is {value} in the shards, manifest says "
                              f"{totals.get(key)}")
    return {"path": str(directory), "ok": True, "shards": reader.num_shards, **found}


# -- description (``boostpack inspect``) --------------------------------------------------------


def _decoder(manifest: dict[str, Any]) -> Any | None:
    """A ``tokenizers.Tokenizer`` for decoding examples when the recorded file still exists and
    has the recorded sha256; otherwise None (describe then shows ids only)."""
    import hashlib

    info = manifest.get("tokenizer", {})
    path = info.get("path")
    if not path or not Path(path).is_file():
        return None
    if hashlib.sha256(Path(path).read_bytes()).hexdigest() != info.get("sha256"):
        return None
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def describe(path: str | os.PathLike[str], examples: int = 3) -> dict[str, Any]:
    """Manifest summary, packing stats and up to ``examples`` sequences split at document
    boundaries (decoded text when the tokenizer file is available, else token ids)."""
    reader = ShardReader(path)
    m = reader.manifest
    totals = m["totals"]
    slots = totals["sequences"] * reader.seq_len
    out: dict[str, Any] = {
        "path": str(reader.path),
        "format": f"{m['format']} v{m['format_version']}",
        "seq_len": reader.seq_len,
        "dtype": m["dtype"],
        "strategy": m.get("strategy"),
        "template": m.get("template"),
        "tokenizer": m.get("tokenizer", {}),
        "totals": totals,
        "shards": reader.num_shards,
        "bytes": sum(f["bytes"] for s in m["shards"] for f in s["files"].values()),
        "packing_efficiency": totals["tokens"] / slots if slots else 0.0,
        "documents_per_sequence": totals["pieces"] / totals["sequences"] if slots else 0.0,
        "examples": [],
    }
    decoder = _decoder(m) if examples > 0 else None
    for i in _spread(reader.num_sequences, examples):
        row = reader.tokens(i)
        starts, lengths, docs = reader.pieces(i)
        pieces = []
        for s, n, d in zip(starts.tolist(), lengths.tolist(), docs.tolist(), strict=True):
            ids = row[s:s + n].tolist()
            piece: dict[str, Any] = {"document": d, "record_id": reader.record_id(d),
                                     "start": s, "length": n}
            if decoder is not None:
                piece["text"] = decoder.decode(ids, skip_special_tokens=False)
            else:
                piece["ids"] = ids[:64]
            pieces.append(piece)
        used = int(starts[-1] + lengths[-1]) if len(starts) else 0
        out["examples"].append({"sequence": i, "padding": reader.seq_len - used, "pieces": pieces})
    return out


def _spread(n: int, k: int) -> Iterable[int]:
    """Up to ``k`` distinct indices spread evenly over ``range(n)``."""
    if n <= 0 or k <= 0:
        return []
    return sorted({int(x) for x in np.linspace(0, n - 1, num=min(k, n))})
