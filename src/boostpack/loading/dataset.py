"""``PackedDataset``: training samples straight from the memory-mapped output of ``boostpack pack``.

A sample is a dict of numpy arrays for one packed sequence of ``seq_len`` tokens:

==================  =============================  ==============================================
key                 dtype, shape                   meaning
==================  =============================  ==============================================
``input_ids``       uint16|uint32 ``[seq_len]``    the token row, a zero-copy view of the mmap
``labels``          int32 ``[seq_len]``            HF convention: equal to ``input_ids`` (the
                                                   model shifts), -100 on padding, at the first
                                                   token of every document piece (the token
                                                   before it belongs to another document), and on
                                                   each piece's loss-free prefix (the question,
                                                   for data packed with ``--loss-on answer``)
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

Batches: ``ds.__getitems__(indices)`` (the hook torch's ``DataLoader`` calls with a
``batch_size``) gathers a whole batch in one compiled call and returns what
``collate([ds[i] for i in indices])`` returns, a :class:`Batch`; ``collate`` passes a
``Batch`` through, so ``DataLoader(ds, batch_size=B, collate_fn=boostpack.collate)`` takes the
batched path (torch's default collate cannot merge ``cu_seqlens`` of different lengths).

Opening reads the manifest and stats every listed file (O(shards), independent of the token
count); shards are memory-mapped on first use, when their index checksum is checked. Every row
read is checked (pointers, pieces within ``seq_len``, document numbers): a corrupt index is a
``CorruptData`` error, never wrong data. The object pickles as its path, so ``DataLoader``
workers reopen the maps lazily in their own process.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# IGNORE_INDEX (-100) labels piece starts and padding; the kernel defines it, users import it here.
from boostpack._loader import IGNORE_INDEX as IGNORE_INDEX
from boostpack._loader import Samples, ShardSamples, gather
from boostpack.errors import InvalidInput
from boostpack.format.reader import ShardReader
from boostpack.format.verify import verify as verify_shards

_ALREADY_COLLATED = (
    "this batch is already collated (PackedDataset and Mixture gather whole batches in "
    "__getitems__): pass collate_fn=boostpack.collate to the DataLoader, not torch's default"
)


class Batch(dict):  # type: ignore[type-arg]
    """A collated batch (see ``collate``): a dict of arrays, marked as collated so ``collate``
    passes it through. Indexing it by position, as torch's default collate does with a list of
    samples, raises a TypeError that names the ``collate_fn`` to use."""

    def __missing__(self, key: Any) -> Any:
        if isinstance(key, int):
            raise TypeError(_ALREADY_COLLATED)
        raise KeyError(key)


class PackedDataset(Samples):
    """Map-style dataset over a ``boostpack pack`` output directory.

    ``ds[i]``, ``len(ds)`` and the batch gather are the compiled base class's
    (``_loader.Samples``): one C call per sample, no Python frame.

    Args:
        path: the directory holding ``manifest.json``.
        labels: build ``labels`` (set False to save a third of the per-sample work when the
            training loop derives them itself).
        verify: recompute every checksum first (reads all data: O(tokens)); by default only
            the manifest and file sizes are checked at open, and each shard's index checksum
            on its first use.

    Raises:
        CorruptData: no manifest, an unreadable or foreign manifest, a path that leaves the
            dataset directory, or shard files that do not match the manifest.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, labels: bool = True, verify: bool = False
    ) -> None:
        self.path = Path(path)
        if verify:
            verify_shards(self.path)
        self._reader = ShardReader(self.path)
        self._reader.check_files()
        self.dtype: np.dtype = self._reader.dtype
        counts = [int(s["sequences"]) for s in self._reader.manifest["shards"]]
        super().__init__(counts, self._open_shard, labels, seq_len=self._reader.seq_len)

    def _open_shard(self, k: int) -> ShardSamples:
        sh = self._reader.shard(k)
        return ShardSamples(
            sh.tokens, sh.seq_ptr, sh.piece_start, sh.piece_length, sh.piece_doc,
            sh.piece_loss if self._reader.format_version >= 2 else None,
            num_documents=self._reader.num_documents, source=f"{self.path}: shard {k}")

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

    # -- samples (``ds[i]``: the base class; negative counts from the end) ----------------

    def __getitems__(self, indices: Sequence[int]) -> Batch:
        """The collated batch of samples ``indices``, gathered in one compiled call: equal,
        field by field, to ``collate([self[i] for i in indices])``."""
        return Batch(self.batch(indices))

    def tokens(self, i: int) -> np.ndarray:
        """Just the token row of sequence ``i``: ``dtype[seq_len]``, a view (the fastest path)."""
        k, j = self.locate(i)
        return self.shard(k).tokens(j)

    def pieces(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts uint32, lengths uint32, document numbers uint64) of sequence ``i`` (views)."""
        k, j = self.locate(i)
        return self._reader.shard(k).pieces(j)

    # -- pickling: reopen lazily in the receiving process -----------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        return _reopen, (str(self.path), self.with_labels)

    def __repr__(self) -> str:
        return f"PackedDataset({str(self.path)!r}, sequences={len(self)}, seq_len={self.seq_len})"


def _reopen(path: str, labels: bool) -> PackedDataset:
    """Unpickling: open the dataset again (its maps are per process)."""
    return PackedDataset(path, labels=labels)


def gather_batch(datasets: Sequence[PackedDataset], which: np.ndarray | None,
                 indices: Sequence[int]) -> Batch:
    """The collated batch of sample ``indices[b]`` of ``datasets[which[b]]`` for every ``b``
    (``which`` None: all from ``datasets[0]``), in one compiled call; equal to ``collate`` of
    those samples. The datasets must share ``seq_len`` and ``labels``."""
    return Batch(gather(list(datasets), which, indices))


def collate(samples: Sequence[dict[str, np.ndarray]] | Batch, *, tensors: bool = False) -> Batch:
    """Stack samples into a batch for varlen attention over the flattened ``B * seq_len`` tokens.

    Returns ``input_ids``, ``labels`` (when present) and ``position_ids`` as int64 ``[B,
    seq_len]`` (int64 is what embedding lookups and cross-entropy targets take), ``cu_seqlens``
    int32 ``[segments + 1]`` (each sample's boundaries shifted by ``b * seq_len``, ending at
    ``B * seq_len``), ``max_seqlen`` (int, longest segment) and ``document_ids`` int64
    ``[total pieces]``. A :class:`Batch` (what ``__getitems__`` returns) is already collated
    and passes through, so this is the ``collate_fn`` for a ``DataLoader`` either way.
    ``tensors=True`` converts the arrays with ``torch.from_numpy`` (torch is imported only
    then).
    """
    batch = samples if isinstance(samples, Batch) else _stack(samples)
    if tensors:
        import torch

        batch = Batch({key: torch.from_numpy(value) if isinstance(value, np.ndarray) else value
                       for key, value in batch.items()})
    return batch


def _stack(samples: Sequence[dict[str, np.ndarray]]) -> Batch:
    if not samples:
        raise InvalidInput("collate: empty batch")
    seq_len = samples[0]["input_ids"].shape[0]
    batch = Batch({
        "input_ids": np.stack([s["input_ids"] for s in samples]).astype(np.int64),
        "position_ids": np.stack([s["position_ids"] for s in samples]).astype(np.int64),
    })
    if "labels" in samples[0]:
        batch["labels"] = np.stack([s["labels"] for s in samples]).astype(np.int64)
    parts = [s["cu_seqlens"][:-1] + np.int32(b * seq_len) for b, s in enumerate(samples)]
    parts.append(np.array([len(samples) * seq_len], dtype=np.int32))
    cu = np.concatenate(parts).astype(np.int32, copy=False)
    batch["cu_seqlens"] = cu
    batch["max_seqlen"] = int(np.diff(cu).max())
    batch["document_ids"] = np.concatenate([s["document_ids"] for s in samples]).astype(np.int64)
    return batch
