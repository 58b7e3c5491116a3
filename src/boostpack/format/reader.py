"""Reading a packed dataset: ``open_shards`` reads the manifest; each shard's files are
memory-mapped on first use, zero-copy (``docs/format.md``).

This module is the one place that checks a dataset's files against its manifest, so that a
corrupt dataset is a ``CorruptData`` error, never wrong data or a crash:

- opening (O(shards)): the manifest's structure, and every listed path a plain file name inside
  the dataset directory (no ``..``, no absolute path; a symbolic link must resolve inside);
- ``check_files`` (O(shards), one ``stat`` per file): each listed file exists, is a regular file
  and has the listed size and the size its shape implies;
- a shard's first use: the index header, ``seq_ptr`` running from 0 to the piece count, and the
  index's xxh3 checksum (the index is a few percent of the token bytes, hashed at ~20 GB/s,
  once per shard and process: it makes every flipped index byte an error, which no structural
  check can promise for document numbers or loss prefixes);
- the document table's first use: both files' checksums, offsets from 0 to the ids' size;
- every read (O(1)): the row's pointers in order and in range, a record id's bounds
  (``boostpack.loading`` checks each row's pieces in its compiled kernel).

Token values are not checked here: recomputing the token files' checksums reads every byte,
which is ``verify``'s job.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from boostpack.errors import CorruptData
from boostpack.format.manifest import (
    INDEX_HEADER,
    INDEX_MAGICS,
    MAX_SEQ_LEN,
    READABLE_VERSIONS,
    TOKEN_DTYPES,
    index_nbytes,
    read_manifest,
)

# A manifest names files by plain names in the dataset directory; anything else (a path with a
# separator, "..", an absolute path) is refused before any file is touched.
_PLAIN_NAME = re.compile(r"^(?!\.\.?$)[^/\\\x00]{1,255}$")
_XXH3 = re.compile(r"^[0-9a-f]{16}$")


def _count(value: Any, what: str) -> int:
    """``value`` as a non-negative int, or CorruptData naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CorruptData(f"manifest: {what} must be a non-negative integer, got {value!r}")
    return value


def _file_entry(entry: Any, what: str) -> dict[str, Any]:
    """A manifest file entry (``path``, ``bytes``, ``xxh3``), checked."""
    if not isinstance(entry, dict):
        raise CorruptData(f"manifest: {what} must be an object with path, bytes and xxh3")
    name = entry.get("path")
    if not isinstance(name, str) or not _PLAIN_NAME.match(name):
        raise CorruptData(f"manifest: {what} path {name!r} is not a plain file name inside the "
                          "dataset directory")
    _count(entry.get("bytes"), f"{what} bytes")
    if not isinstance(entry.get("xxh3"), str) or not _XXH3.match(entry["xxh3"]):
        raise CorruptData(f"manifest: {what} xxh3 {entry.get('xxh3')!r} is not 16 hex digits")
    return entry


def check_manifest(manifest: dict[str, Any]) -> None:
    """Types, limits and file entries of a parsed manifest (O(shards)); every listed file
    named once, by a plain name."""
    version = manifest.get("format_version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise CorruptData(f"manifest: unsupported format_version {version!r}")
    if not 0 < _count(manifest["seq_len"], "seq_len") <= MAX_SEQ_LEN:
        raise CorruptData(f"manifest: seq_len {manifest['seq_len']} is not in [1, 2^31)")
    if manifest["dtype"] not in TOKEN_DTYPES:
        raise CorruptData(f"manifest: unknown dtype {manifest['dtype']!r}")
    shards, documents = manifest["shards"], manifest["documents"]
    if not isinstance(shards, list) or not isinstance(documents, dict):
        raise CorruptData("manifest: shards must be a list and documents an object")
    if not isinstance(manifest["totals"], dict):
        raise CorruptData("manifest: totals must be an object")
    entries = []
    for k, shard in enumerate(shards):
        if not isinstance(shard, dict) or not isinstance(shard.get("files"), dict):
            raise CorruptData(f"manifest: shard {k} must be an object with files")
        if not isinstance(shard.get("name"), str):
            raise CorruptData(f"manifest: shard {k} has no name")
        for key in ("sequences", "pieces", "tokens"):
            _count(shard.get(key), f"shard {k} {key}")
        entries += [_file_entry(shard["files"].get(kind), f"shard {k} {kind}")
                    for kind in ("tokens", "index")]
    _count(documents.get("count"), "documents count")
    files = documents.get("files")
    if not isinstance(files, dict):
        raise CorruptData("manifest: documents must list its files")
    entries += [_file_entry(files.get(kind), f"documents {kind}") for kind in ("offsets", "ids")]
    names = [e["path"] for e in entries]
    if len(set(names)) != len(names):
        raise CorruptData("manifest: a file is listed twice")


def _inside(root: str, path: str) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([real, top]) == top


def check_listed_file(directory: str | os.PathLike[str], listed: dict[str, Any],
                      needed: int | None = None, shape: str = "") -> str:
    """Path of the file a manifest entry ``listed`` (``path``, ``bytes``) names, after checking
    that it is a plain name inside ``directory`` (a symbolic link only when it resolves inside),
    a regular file, with the listed size and, when given, the ``needed`` size its ``shape``
    implies. One ``lstat`` on a joined string (pathlib's object churn tripled the open time);
    nothing outside the directory is ever stat'ed, so no error shows another file's size."""
    base = os.fspath(directory)
    name = listed["path"]
    if not isinstance(name, str) or not _PLAIN_NAME.match(name):
        raise CorruptData(f"{base}: {name!r} is not a plain file name inside the dataset")
    path = os.path.join(base, name)
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            if not _inside(base, path):
                raise CorruptData(f"{base}: {name} is a symbolic link out of the dataset "
                                  "directory")
            info = os.stat(path)
    except FileNotFoundError:
        raise CorruptData(f"{base}: {name} is missing") from None
    if not stat.S_ISREG(info.st_mode):
        raise CorruptData(f"{base}: {name} is not a regular file")
    actual = info.st_size
    if actual != listed["bytes"] or (needed is not None and actual != needed):
        need = f" and {shape} need {needed}" if needed is not None else ""
        raise CorruptData(f"{base}: {name} is {actual} bytes; the manifest lists "
                          f"{listed['bytes']}{need}")
    return path


def _check_digest(data: Any, listed: dict[str, Any], owner: str) -> None:
    """``data`` (a mapped file) hashes to the xxh3 its manifest entry lists."""
    digest = xxhash.xxh3_64(data).hexdigest()
    if digest != listed["xxh3"]:
        raise CorruptData(f"{owner}: {listed['path']} checksum {digest} != manifest "
                          f"{listed['xxh3']}")


@dataclass(frozen=True)
class Shard:
    """One shard, memory-mapped read-only. ``tokens``: ``dtype[S, seq_len]``; ``seq_ptr``:
    ``uint64[S + 1]``; ``piece_start``/``piece_length``: ``uint32[P]``; ``piece_doc``:
    ``uint64[P]``; ``piece_loss``: ``uint32[P]`` (format 1: zeros, not in the file). All are
    zero-copy views of the files."""

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

    def piece_range(self, j: int) -> tuple[int, int]:
        """``seq_ptr[j], seq_ptr[j + 1]``: the pieces of local sequence ``j``, checked to be in
        order and in range (O(1))."""
        lo, hi = int(self.seq_ptr[j]), int(self.seq_ptr[j + 1])
        if not 0 <= lo <= hi <= len(self.piece_start):
            raise CorruptData(f"{self.name}: document index row {j}: pointers {lo}..{hi} are "
                              f"out of order or past the {len(self.piece_start)} pieces")
        return lo, hi

    def pieces(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Starts (``uint32``), lengths (``uint32``) and document numbers (``uint64``) of the
        pieces of local sequence ``j``, in position order (views, no copy)."""
        lo, hi = self.piece_range(j)
        return self.piece_start[lo:hi], self.piece_length[lo:hi], self.piece_doc[lo:hi]


def _map_index(path: str, meta: dict[str, Any], version: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Views (seq_ptr, piece_start, piece_length, piece_doc, piece_loss) of the ``.index`` file
    of shard ``meta`` (checked size); checks its checksum, its header against the manifest
    counts and that ``seq_ptr`` runs from 0 to the piece count."""
    num_sequences, num_pieces = int(meta["sequences"]), int(meta["pieces"])
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    _check_digest(raw, meta["files"]["index"], meta["name"])
    magic, s, p, _ = INDEX_HEADER.unpack(bytes(raw[:INDEX_HEADER.size]))
    name = os.path.basename(path)
    if magic != INDEX_MAGICS[version] or s != num_sequences or p != num_pieces:
        raise CorruptData(f"{name}: header says {s} sequences / {p} pieces (magic {magic!r}), "
                          f"manifest says {num_sequences} / {num_pieces} (format {version})")
    o = INDEX_HEADER.size
    seq_ptr = raw[o:o + 8 * (s + 1)].view("<u8")
    o += 8 * (s + 1)
    starts = raw[o:o + 4 * p].view("<u4")
    lengths = raw[o + 4 * p:o + 8 * p].view("<u4")
    docs = raw[o + 8 * p:o + 16 * p].view("<u8")
    loss = (raw[o + 16 * p:o + 20 * p].view("<u4") if version >= 2
            else np.broadcast_to(np.zeros(1, dtype="<u4"), (p,)))
    if int(seq_ptr[0]) != 0 or int(seq_ptr[s]) != p:
        raise CorruptData(f"{name}: seq_ptr runs from {int(seq_ptr[0])} to {int(seq_ptr[s])}, "
                          f"not from 0 to the {p} pieces")
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
        check_manifest(self.manifest)
        self.seq_len: int = int(self.manifest["seq_len"])
        self.dtype = np.dtype(TOKEN_DTYPES[self.manifest["dtype"]])
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
        if total != self.manifest["totals"].get("sequences"):
            raise CorruptData(f"{self.path}: shards hold {total} sequences, manifest totals say "
                              f"{self.manifest['totals'].get('sequences')}")

    # -- data -------------------------------------------------------------------------------
    def shard(self, k: int) -> Shard:
        """Shard ``k``, mapped lazily: the first call for ``k`` checks its files, its index
        header and its index checksum."""
        cached = self._shards.get(k)
        if cached is not None:
            return cached
        meta = self.manifest["shards"][k]
        s = int(meta["sequences"])
        tok_path, index_path = self._check_shard_files(k)
        index = _map_index(index_path, meta, self.format_version)
        tokens = (np.memmap(tok_path, dtype=self.dtype, mode="r", shape=(s, self.seq_len)) if s
                  else np.zeros((0, self.seq_len), dtype=self.dtype))
        shard = Shard(meta["name"], tokens, *index)
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
        """(offsets ``uint64[D + 1]``, ids ``uint8[...]``) of the document table, mapped; the
        first use checks both files' checksums and that the offsets run from 0 to the size of
        the ids."""
        off_path, ids_path = self._check_document_files()
        files = self.manifest["documents"]["files"]
        offsets = np.memmap(off_path, dtype="<u8", mode="r")
        ids = (np.memmap(ids_path, dtype=np.uint8, mode="r") if os.path.getsize(ids_path)
               else np.zeros(0, dtype=np.uint8))
        _check_digest(offsets, files["offsets"], "documents")
        _check_digest(ids, files["ids"], "documents")
        if int(offsets[0]) != 0 or int(offsets[-1]) != len(ids):
            raise CorruptData(f"{files['offsets']['path']}: offsets run from {int(offsets[0])} "
                              f"to {int(offsets[-1])}, not from 0 to the {len(ids)} id bytes")
        return offsets, ids

    def record_id(self, doc: int) -> str:
        """Source record id of document number ``doc``."""
        if not 0 <= doc < self.num_documents:
            raise IndexError(f"document {doc} out of range [0, {self.num_documents})")
        offsets, ids = self.document_table
        lo, hi = int(offsets[doc]), int(offsets[doc + 1])
        if not lo <= hi <= len(ids):
            raise CorruptData(f"documents: record id {doc} spans bytes {lo}..{hi} of "
                              f"{len(ids)}")
        try:
            return bytes(ids[lo:hi]).decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptData(f"documents: record id {doc} is not UTF-8") from None

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
