"""Export a packed dataset to Megatron-LM's indexed dataset (``PREFIX.bin`` + ``PREFIX.idx``).

Megatron's ``GPTDataset`` builds its own samples by concatenating documents, so the export
carries the *document pieces*, not the padded rows: every piece (for ``bestfit`` and ``pad``,
a whole document unless it was longer than ``seq_len``) becomes one Megatron sequence and one
Megatron document, in dataset order, with the BOS/EOS it was packed with. A document that
packing split appears as several consecutive-in-order Megatron documents (format invariant 2).

Layout written (Megatron-LM ``megatron/core/datasets/indexed_dataset.py``, "MMIDIDX" v1):
``.bin`` is the tokens, little-endian, ``uint16`` (dtype code 8) when the packed dataset is
``uint16``, else ``int32`` (code 4, as Megatron uses for vocabularies over 65,500; ids are
below 2^31). ``.idx`` is the 9-byte magic ``MMIDIDX\\0\\0``, version ``uint64`` 1, dtype code
``uint8``, sequence count ``uint64``, document count ``uint64`` (pieces + 1), then
``int32`` lengths per sequence, ``int64`` byte offsets per sequence, ``int64`` document
boundaries ``0, 1, …, pieces``. Memory is one shard at a time.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.errors import InvalidInput
from boostpack.format.reader import ShardReader
from boostpack.runtime.atomic import atomic_write

MAGIC = b"MMIDIDX\x00\x00"
_DTYPE_CODES: dict[np.dtype, tuple[int, np.dtype]] = {np.dtype("<u2"): (8, np.dtype("<u2")), np.dtype("<u4"): (4, np.dtype("<i4"))}


def export_megatron(path: str | os.PathLike[str], prefix: str | os.PathLike[str]
                    ) -> dict[str, Any]:
    """Write ``PREFIX.bin`` and ``PREFIX.idx`` from the packed dataset at ``path`` (each file
    atomically; the ``.idx`` last). Returns counts and the two paths."""
    reader = ShardReader(path)
    code, out_dtype = _DTYPE_CODES[reader.dtype]
    if reader.dtype == np.dtype("<u4") and reader.manifest["tokenizer"].get("vocab_size", 0) > 2**31:
        raise InvalidInput("token ids above 2^31 do not fit Megatron's int32")
    prefix = Path(prefix)
    bin_path, idx_path = prefix.with_name(prefix.name + ".bin"), prefix.with_name(prefix.name + ".idx")
    positions = np.arange(reader.seq_len)
    pieces = 0
    with atomic_write(bin_path, "wb") as f:
        for k in range(reader.num_shards):
            sh = reader.shard(k)
            rows = max(1, (1 << 22) // reader.seq_len)  # ~4M positions per block
            for lo in range(0, sh.num_sequences, rows):
                hi = min(lo + rows, sh.num_sequences)
                ends = _row_ends(sh.seq_ptr, sh.piece_start, sh.piece_length, lo, hi)
                block = sh.tokens[lo:hi]
                # Pieces lie back to back from 0, so a row's real tokens are its prefix.
                f.write(np.ascontiguousarray(block[positions[None, :] < ends[:, None]])
                        .astype(out_dtype).tobytes())
            pieces += len(sh.piece_length)
    with atomic_write(idx_path, "wb") as f:
        f.write(MAGIC + struct.pack("<QBQQ", 1, code, pieces, pieces + 1))
        for k in range(reader.num_shards):
            f.write(reader.shard(k).piece_length.astype("<i4").tobytes())
        offset = 0
        for k in range(reader.num_shards):
            lengths = reader.shard(k).piece_length.astype(np.int64)
            starts = np.zeros(len(lengths), dtype="<i8")
            np.cumsum(lengths[:-1] * out_dtype.itemsize, out=starts[1:])
            f.write((starts + offset).astype("<i8").tobytes())
            offset += int(lengths.sum()) * out_dtype.itemsize
        for lo in range(0, pieces + 1, 1 << 20):
            f.write(np.arange(lo, min(lo + (1 << 20), pieces + 1), dtype="<i8").tobytes())
    return {"bin": str(bin_path), "idx": str(idx_path), "sequences": pieces,
            "documents": pieces, "tokens": offset // out_dtype.itemsize}


def _row_ends(seq_ptr: np.ndarray, starts: np.ndarray, lengths: np.ndarray, lo: int,
              hi: int) -> np.ndarray:
    """End of the last piece of rows ``lo:hi`` (0 for a row without pieces)."""
    ptr = seq_ptr[lo:hi + 1].astype(np.int64)
    ends = np.zeros(hi - lo, dtype=np.int64)
    has = ptr[1:] > ptr[:-1]
    last = ptr[1:][has] - 1
    ends[has] = starts[last].astype(np.int64) + lengths[last]
    return ends
