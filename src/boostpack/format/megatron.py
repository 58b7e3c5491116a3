"""Export a packed dataset to Megatron-LM's indexed dataset (``PREFIX.bin`` + ``PREFIX.idx``),
one Megatron document per source document.

Megatron's ``GPTDataset`` builds its own samples by concatenating documents, so the export
carries documents, not packed rows: each document is re-assembled whole from its pieces (in
dataset order its pieces are consecutive slices of it: format invariant 2), with the BOS/EOS it
was packed with, and documents are written in document-number order (input order), whatever the
packing strategy. A document is one Megatron sequence and one Megatron document.

Layout written (Megatron-LM ``megatron/core/datasets/indexed_dataset.py``, "MMIDIDX" v1):
``.bin`` is the tokens, little-endian, ``uint16`` (dtype code 8) when the packed dataset is
``uint16``, else ``int32`` (code 4, as Megatron uses for vocabularies over 65,500; ids are below
2^31). ``.idx`` is the 9-byte magic ``MMIDIDX\\0\\0``, version ``uint64`` 1, dtype code
``uint8``, sequence count ``uint64`` D, document count ``uint64`` D + 1, then ``int32`` lengths
per sequence, ``int64`` byte offsets per sequence, ``int64`` document boundaries ``0 .. D``.

Memory stays bounded by the shards' document spread, not the dataset: a first pass over the
indexes sums each document's length and writes lengths and offsets into the ``.idx`` once no
later shard holds a piece of it (pack keeps a document's pieces within one task's shards, and
nearly in order); a second pass copies each block of rows' pieces to their places in the
``.bin``. Both files are written under temp names and renamed, the ``.idx`` last.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.errors import CorruptData, InvalidInput
from boostpack.format.reader import Shard, ShardReader
from boostpack.runtime.atomic import TMP_PREFIX

MAGIC = b"MMIDIDX\x00\x00"
_HEADER = struct.Struct("<QBQQ")  # version, dtype code, sequences, documents
_DTYPE_CODES: dict[np.dtype, tuple[int, np.dtype]] = {
    np.dtype("<u2"): (8, np.dtype("<u2")), np.dtype("<u4"): (4, np.dtype("<i4"))}
_BLOCK_TOKENS = 1 << 22  # rows copied at a time: ~4M positions


class _Out:
    """A file written at given offsets under a temp name, renamed into place by ``commit``."""

    def __init__(self, final: Path, size: int) -> None:
        self.final, self.tmp = final, final.with_name(f"{TMP_PREFIX}{final.name}.{os.getpid()}")
        self.fd = os.open(self.tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        os.ftruncate(self.fd, size)

    def write(self, data: Any, offset: int) -> None:
        view = memoryview(data).cast("B")
        while view.nbytes:
            n = os.pwrite(self.fd, view, offset)
            view, offset = view[n:], offset + n

    def commit(self) -> None:
        os.fsync(self.fd)
        os.close(self.fd)
        os.replace(self.tmp, self.final)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def _doc_ranges(reader: ShardReader) -> tuple[list[tuple[int, int]], list[int]]:
    """Per shard (lowest, highest) document number of its pieces, and per shard the lowest
    document number any later shard holds (the documents below it are complete after it)."""
    ranges = []
    for k in range(reader.num_shards):
        docs = reader.shard(k).piece_doc
        ranges.append((int(docs.min()), int(docs.max())) if docs.size else (-1, -1))
    later = [reader.num_documents] * (reader.num_shards + 1)
    for k in range(reader.num_shards - 1, -1, -1):
        lo = ranges[k][0]
        later[k] = min(later[k + 1], lo) if lo >= 0 else later[k + 1]
    return ranges, later[1:]


def _lengths(reader: ShardReader, idx: _Out, itemsize: int) -> int:
    """Pass 1: every document's length and byte offset into the ``.idx``; returns the tokens."""
    n = reader.num_documents
    ranges, complete_below = _doc_ranges(reader)
    size_at = len(MAGIC) + _HEADER.size
    ptr_at = size_at + 4 * n
    window = np.zeros(0, dtype=np.int64)  # lengths of documents base, base + 1, ...
    base = offset = 0
    for k in range(reader.num_shards):
        shard = reader.shard(k)
        if shard.piece_doc.size:
            top = ranges[k][1] - base + 1
            if top > len(window):
                window = np.concatenate([window, np.zeros(top - len(window), np.int64)])
            np.add.at(window, shard.piece_doc.astype(np.int64) - base,
                      shard.piece_length.astype(np.int64))
        done = complete_below[k] - base
        if done <= 0:
            continue
        lengths = window[:done]
        if lengths.size and (int(lengths.min()) == 0 or int(lengths.max()) >= 2**31):
            bad = int(np.flatnonzero((lengths == 0) | (lengths >= 2**31))[0]) + base
            raise CorruptData(f"{reader.path}: document {bad} has no piece or is too long")
        pointers = np.cumsum(lengths) * itemsize
        idx.write(lengths.astype("<i4"), size_at + 4 * base)
        idx.write((pointers - lengths * itemsize + offset).astype("<i8"), ptr_at + 8 * base)
        offset += int(pointers[-1]) if pointers.size else 0
        window, base = window[done:], base + done
    if base != n:
        raise CorruptData(f"{reader.path}: document {base} has no piece in any shard")
    return offset // itemsize


def _blocks(shard: Shard, seq_len: int) -> Iterator[tuple[int, int]]:
    rows = max(1, _BLOCK_TOKENS // seq_len)
    for lo in range(0, shard.num_sequences, rows):
        yield lo, min(lo + rows, shard.num_sequences)


def _copy(reader: ShardReader, idx_fd: int, out: _Out, out_dtype: np.dtype) -> None:
    """Pass 2: every piece's tokens to its place: its document's offset plus the tokens of the
    document's earlier pieces (earlier in dataset order)."""
    n = reader.num_documents
    ptr_at = len(MAGIC) + _HEADER.size + 4 * n
    ranges, complete_below = _doc_ranges(reader)
    done = np.zeros(0, dtype=np.int64)  # tokens written per document, from ``base``
    base = 0
    item = out_dtype.itemsize
    for k in range(reader.num_shards):
        shard = reader.shard(k)
        lo_doc, hi_doc = ranges[k]
        if lo_doc >= 0:
            raw = os.pread(idx_fd, 8 * (hi_doc - lo_doc + 1), ptr_at + 8 * lo_doc)
            pointers = np.frombuffer(raw, dtype="<i8")
            if hi_doc - base + 1 > len(done):
                done = np.concatenate([done, np.zeros(hi_doc - base + 1 - len(done), np.int64)])
            for lo, hi in _blocks(shard, reader.seq_len):
                p0, p1 = int(shard.seq_ptr[lo]), int(shard.seq_ptr[hi])
                docs = shard.piece_doc[p0:p1].astype(np.int64)
                lengths = shard.piece_length[p0:p1].astype(np.int64)
                # Each piece's place in its document: the document's tokens written before it.
                order = np.argsort(docs, kind="stable")
                ends = np.cumsum(lengths[order])
                first = np.ones(len(order), dtype=bool)
                first[1:] = docs[order][1:] != docs[order][:-1]
                group_base = np.maximum.accumulate(np.where(first, ends - lengths[order], 0))
                within = np.empty_like(lengths)
                within[order] = ends - lengths[order] - group_base + done[docs[order] - base]
                np.add.at(done, docs - base, lengths)
                targets = pointers[docs - lo_doc] + within * item
                rows = np.repeat(np.arange(lo, hi) - lo, np.diff(shard.seq_ptr[lo:hi + 1].astype(
                    np.int64)))
                sources = rows * reader.seq_len + shard.piece_start[p0:p1].astype(np.int64)
                _write_pieces(out, shard.tokens[lo:hi].reshape(-1), sources, lengths, targets,
                              out_dtype)
        drop = complete_below[k] - base
        if drop > 0:
            done, base = done[drop:], base + drop


def _write_pieces(out: _Out, flat: np.ndarray, sources: np.ndarray, lengths: np.ndarray,
                  targets: np.ndarray, out_dtype: np.dtype) -> None:
    """Write piece ``i`` (``flat[sources[i]:sources[i] + lengths[i]]``) at byte
    ``targets[i]``: pieces in target order, runs of adjacent targets in one write."""
    if not len(lengths):
        return
    order = np.argsort(targets, kind="stable")
    sources, lengths, targets = sources[order], lengths[order], targets[order]
    starts = np.cumsum(lengths) - lengths
    index = np.repeat(sources - starts, lengths) + np.arange(int(lengths.sum()))
    tokens = np.asarray(flat)[index].astype(out_dtype)
    item = out_dtype.itemsize
    breaks = np.flatnonzero(targets[1:] != targets[:-1] + lengths[:-1] * item) + 1
    bounds = [0, *breaks.tolist(), len(lengths)]
    for a, b in itertools.pairwise(bounds):
        t0 = int(starts[a])
        t1 = int(starts[b - 1] + lengths[b - 1])
        out.write(tokens[t0:t1], int(targets[a]))


def export_megatron(path: str | os.PathLike[str], prefix: str | os.PathLike[str]
                    ) -> dict[str, Any]:
    """Write ``PREFIX.bin`` and ``PREFIX.idx`` from the packed dataset at ``path`` (each under
    a temp name, renamed when complete; the ``.idx`` last). Returns counts and the two paths."""
    reader = ShardReader(path)
    reader.check_files()
    code, out_dtype = _DTYPE_CODES[reader.dtype]
    if reader.dtype == np.dtype("<u4") and reader.manifest["tokenizer"].get("vocab_size", 0) > 2**31:
        raise InvalidInput("token ids above 2^31 do not fit Megatron's int32")
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    n = reader.num_documents
    total = int(reader.manifest["totals"]["tokens"])
    bin_out = _Out(prefix.with_name(prefix.name + ".bin"), total * out_dtype.itemsize)
    idx_out = _Out(prefix.with_name(prefix.name + ".idx"),
                   len(MAGIC) + _HEADER.size + 12 * n + 8 * (n + 1))
    try:
        idx_out.write(MAGIC + _HEADER.pack(1, code, n, n + 1), 0)
        tokens = _lengths(reader, idx_out, out_dtype.itemsize)
        if tokens != total:
            raise CorruptData(f"{reader.path}: pieces hold {tokens} tokens, manifest says {total}")
        at = len(MAGIC) + _HEADER.size + 12 * n
        for lo in range(0, n + 1, 1 << 20):
            idx_out.write(np.arange(lo, min(lo + (1 << 20), n + 1), dtype="<i8"), at + 8 * lo)
        _copy(reader, idx_out.fd, bin_out, out_dtype)
        bin_out.commit()
        idx_out.commit()
    except BaseException:
        bin_out.discard()
        idx_out.discard()
        raise
    return {"bin": str(bin_out.final), "idx": str(idx_out.final), "sequences": n,
            "documents": n, "tokens": total, "dtype": str(out_dtype)}
