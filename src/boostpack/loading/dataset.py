"""``PackedDataset``: training samples straight from the memory-mapped output of ``boostpack pack``.

A sample is a dict of numpy arrays for one packed sequence of ``seq_len`` tokens:

==================  =============================  ==============================================
key                 dtype, shape                   meaning
==================  =============================  ==============================================
``input_ids``       uint16|uint32 ``[seq_len]``    the token row, a zero-copy view of the mmap
``labels``          int32 ``[seq_len]``            HF convention: equal to ``input_ids`` (the
                                                   model shifts), -100 on padding and at the
                                                   first token of every document piece, since the
                                                   token before it belongs to another document
``position_ids``    int32 ``[seq_len]``            restart at 0 at every piece and at the padding
``cu_seqlens``      int32 ``[pieces + 1 (+1)]``    segment boundaries for varlen attention:
                                                   0, the end of each piece, and ``seq_len`` when
                                                   the row has padding (padding is one final
                                                   segment, so ``cu_seqlens[-1] == seq_len``)
``document_ids``    uint64 ``[pieces]``            global document number of each piece (a view);
                                                   ``ds.record_id(d)`` gives the source record id
==================  =============================  ==============================================

A piece that continues a split document also restarts ``position_ids`` and masks its first
label: the usual packed-training convention (docs/format.md). The int32 arrays are cut from
pooled blocks of 16 samples by a compiled helper (``_loader``), everything else is a view; a
sample kept alive keeps its block (0.5 MB at seq_len 4096), so copy samples kept for long.

Opening reads the manifest and stats every listed file (O(shards), independent of the token
count); shards are memory-mapped on first use. The object pickles as its path, so
``DataLoader`` workers reopen the maps lazily in their own process.
"""

from __future__ import annotations

import bisect
import operator
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# IGNORE_INDEX (-100) labels piece starts and padding; the kernel defines it, users import it here.
from boostpack._loader import IGNORE_INDEX as IGNORE_INDEX
from boostpack._loader import ShardSamples
from boostpack.errors import InvalidInput
from boostpack.format.reader import ShardReader
from boostpack.format.verify import verify as verify_shards


class PackedDataset:
    """Map-style dataset over a ``boostpack pack`` output directory.

    Args:
        path: the directory holding ``manifest.json``.
        labels: build ``labels`` (set False to save a third of the per-sample work when the
            training loop derives them itself).
        verify: recompute every checksum first (reads all data: O(tokens)); by default only
            the manifest and file sizes are checked.

    Raises:
        CorruptData: no manifest, an unreadable or foreign manifest, or shard files that do
            not match it.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, labels: bool = True, verify: bool = False
    ) -> None:
        self.path = Path(path)
        self.with_labels = labels
        if verify:
            verify_shards(self.path)
        self._reader = ShardReader(self.path)
        self._reader.check_files()
        reader = self._reader
        self.seq_len: int = reader.seq_len
        self.dtype: np.dtype = reader.dtype
        self._n = reader.num_sequences
        self._offsets = reader.sequence_offsets.tolist()
        counts = [int(s["sequences"]) for s in reader.manifest["shards"]]
        # With equal shards (all but the last), shard = i // size: cheaper than a bisect.
        uniform = len(counts) <= 1 or (len(set(counts[:-1])) == 1 and counts[-1] <= counts[0])
        self._per_shard = counts[0] if uniform and counts and counts[0] > 0 else 0
        self._builders: list[ShardSamples | None] = [None] * len(counts)
        self._rows: list[np.ndarray | None] = [None] * len(counts)

    # -- metadata ---------------------------------------------------------------------------

    @property
    def manifest(self) -> dict[str, Any]:
        """The parsed ``manifest.json``."""
        return self._reader.manifest

    @property
    def num_documents(self) -> int:
        return self._reader.num_documents

    def record_id(self, doc: int) -> str:
        """Source record id (string) of global document number ``doc``."""
        return self._reader.record_id(int(doc))

    # -- samples ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def _locate(self, i: Any) -> tuple[int, int]:
        i = operator.index(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"PackedDataset index out of range (len {self._n})")
        per = self._per_shard
        k = i // per if per else bisect.bisect_right(self._offsets, i) - 1
        return k, i - self._offsets[k]

    def _builder(self, k: int) -> ShardSamples:
        builder = self._builders[k]
        if builder is None:
            sh = self._reader.shard(k)
            rows = self._rows[k] = sh.tokens.view(np.ndarray)  # indexes faster than np.memmap
            builder = ShardSamples(
                rows,
                sh.seq_ptr,
                sh.piece_start,
                sh.piece_length,
                sh.piece_doc.view(np.ndarray),
                self.with_labels,
                f"{self.path}: shard {k}",
            )
            self._builders[k] = builder
        return builder

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        """Sample ``i`` (negative counts from the end; out of range raises IndexError)."""
        k, j = self._locate(i)
        return self._builder(k).sample(j)

    def tokens(self, i: int) -> np.ndarray:
        """Just the token row of sequence ``i``: ``dtype[seq_len]``, a view (the fastest path)."""
        k, j = self._locate(i)
        rows = self._rows[k]
        if rows is None:
            self._builder(k)
            rows = self._rows[k]
        return rows[j]

    def pieces(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts uint32, lengths uint32, document numbers uint64) of sequence ``i`` (views)."""
        k, j = self._locate(i)
        return self._reader.shard(k).pieces(j)

    # -- pickling: reopen lazily in the receiving process -----------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {"path": str(self.path), "labels": self.with_labels}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], labels=state["labels"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"PackedDataset({str(self.path)!r}, sequences={self._n}, seq_len={self.seq_len})"


def collate(samples: Sequence[dict[str, np.ndarray]], *, tensors: bool = False) -> dict[str, Any]:
    """Stack samples into a batch for varlen attention over the flattened ``B * seq_len`` tokens.

    Returns ``input_ids``, ``labels`` (when present) and ``position_ids`` as int64 ``[B,
    seq_len]`` (int64 is what embedding lookups and cross-entropy targets take), ``cu_seqlens``
    int32 ``[segments + 1]`` (each sample's boundaries shifted by ``b * seq_len``, ending at
    ``B * seq_len``), ``max_seqlen`` (int, longest segment) and ``document_ids`` int64
    ``[total pieces]``. ``tensors=True`` converts the arrays with ``torch.from_numpy`` (torch is
    imported only then).
    """
    if not samples:
        raise InvalidInput("collate: empty batch")
    seq_len = samples[0]["input_ids"].shape[0]
    batch: dict[str, Any] = {
        "input_ids": np.stack([s["input_ids"] for s in samples]).astype(np.int64),
        "position_ids": np.stack([s["position_ids"] for s in samples]).astype(np.int64),
    }
    if "labels" in samples[0]:
        batch["labels"] = np.stack([s["labels"] for s in samples]).astype(np.int64)
    parts = [s["cu_seqlens"][:-1] + np.int32(b * seq_len) for b, s in enumerate(samples)]
    parts.append(np.array([len(samples) * seq_len], dtype=np.int32))
    cu = np.concatenate(parts).astype(np.int32, copy=False)
    batch["cu_seqlens"] = cu
    batch["max_seqlen"] = int(np.diff(cu).max())
    batch["document_ids"] = np.concatenate([s["document_ids"] for s in samples]).astype(np.int64)
    if tensors:
        import torch

        for key, value in batch.items():
            if isinstance(value, np.ndarray):
                batch[key] = torch.from_numpy(value)
    return batch
