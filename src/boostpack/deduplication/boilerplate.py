"""Boilerplate: the shingles so many documents share that they say nothing about an item.

Instruction prefixes ("Solve the following task."), scaffolding ("Question: ... Answer:",
"A. ... B. ... C. ... D. ...") and templates put the same shingles into a large share of a
corpus; in a short item they are most of its shingles, so two distinct items that share only
the template come out near duplicates (271 distinct alpaca items in one cluster in the trial
that found it). A shingle found in more than ``boilerplate_df`` of the documents of a sample
is left out of every signature (the kernel's exclusion set, ``MinHasher(exclude=...)``), the
way IDF discounts words that occur everywhere.

The sample is fixed by the files alone, never by workers or splits: per side (inputs, and
references), about ``SAMPLE_RECORDS`` records, each file's share proportional to its size, read
in windows of ``WINDOW_RECORDS`` records at evenly spaced line starts of a plain file, or at
evenly spaced frames, blocks or row groups of a compressed or Parquet file that has them (else
at its start, where such a file alone can be entered). Exact repeats in the
sample count once: copies of one item are duplicates to find, not boilerplate. A shingle is
common on either side when more than ``df`` of that side's sampled documents, and at least
``MIN_DOCUMENTS``, contain it; the union of both sides is excluded, so scaffolding that the
references share does not make an input match them, nor the inputs' own templates.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator

import numpy as np

from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.minhash import MinHasher
from boostpack.ingestion.options import ReadOptions
from boostpack.ingestion.records import record_text

SAMPLE_RECORDS = 2048
WINDOW_RECORDS = 256
# Fewer documents than this never make a shingle boilerplate, whatever the share: in a sample
# of 40 documents, 2 sharing a phrase are a coincidence, not a template.
MIN_DOCUMENTS = 8


def _windows(path: str, options: ReadOptions, quota: int) -> Iterator[list[dict]]:
    """Records of ``path`` for the sample: ``quota`` records in windows spread over a file
    that can be entered at its parts (``splits.splittable``), or the first ``quota`` of any
    other."""
    from boostpack.ingestion.readers import read_batches
    from boostpack.ingestion.splits import RangeReader, plan_splits, splittable

    if not splittable(path):
        with contextlib.closing(read_batches(path, options, batch_lines=min(quota, 8192))) as batches:
            taken = 0
            for batch in batches:
                yield batch.records[: quota - taken]
                taken += len(batch.records)
                if taken >= quota:
                    return
        return
    windows = max(1, math.ceil(quota / WINDOW_RECORDS))
    splits = plan_splits(path, options, max(1, os.path.getsize(path) // windows))
    # A splittable compressed file's parts follow its frames, often more of them than windows
    # (18 for the 8 windows of a 64 MB .zst): a window starts at evenly spaced parts and goes
    # on into the next ones while it is short, up to the next window's start. A plain file's
    # parts are the windows; and a small file is read whole either way, so the two sample the
    # same records.
    starts = [i * len(splits) // windows for i in range(min(windows, len(splits)))]
    for first, stop in zip(starts, [*starts[1:], len(splits)], strict=True):
        taken = 0
        for split in splits[first:stop]:
            reader = RangeReader(path, split, options, 0)
            with contextlib.closing(reader.batches(WINDOW_RECORDS - taken)) as batches:
                for batch in batches:
                    records = batch.records[: WINDOW_RECORDS - taken]
                    taken += len(records)
                    yield records
                    break
            if taken >= WINDOW_RECORDS:
                break


def sample_texts(paths: list[str], options: ReadOptions, fields: tuple[str, ...],
                 records: int = SAMPLE_RECORDS) -> list[str]:
    """The distinct compared texts of the sample of ``paths`` (module docstring)."""
    sizes = [max(os.path.getsize(p), 1) for p in paths]
    total = sum(sizes)
    seen: dict[str, None] = {}
    for path, size in zip(paths, sizes, strict=True):
        quota = max(1, math.ceil(records * size / total))
        for batch in _windows(path, options, quota):
            for record in batch:
                seen.setdefault(record_text(record, fields))
    return list(seen)


def common_shingles(texts: list[str], hasher: MinHasher, df: float) -> np.ndarray:
    """uint32[k]: the shingle hashes in more than ``df`` of ``texts`` (and in at least
    ``MIN_DOCUMENTS`` of them), sorted."""
    if not texts:
        return np.zeros(0, dtype=np.uint32)
    per_doc = [hasher.shingle_hashes(t) for t in texts]
    doc = np.repeat(np.arange(len(texts), dtype=np.uint64), [len(h) for h in per_doc])
    # (hash, document) pairs, each once: a document counts once however often it repeats one.
    # Sorted and masked by hand: numpy 2.4's np.unique without return_* options takes a hash
    # path, 15x slower than this on 750k values.
    pairs = np.sort((np.concatenate(per_doc).astype(np.uint64) << np.uint64(32)) | doc)
    if not len(pairs):
        return np.zeros(0, dtype=np.uint32)
    hashes = (pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] >> np.uint64(32))
    # Sorted already: a run of equal hashes is one shingle, its length the documents holding it.
    starts = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
    counts = np.diff(np.append(starts, len(hashes)))
    return hashes[starts[counts > max(df * len(texts), MIN_DOCUMENTS - 1)]].astype(np.uint32)


def boilerplate(inputs: list[str], references: list[str], config: DedupConfig) -> np.ndarray:
    """uint32[k]: the shingle hashes the run's signatures leave out (none when
    ``config.boilerplate_df`` is None)."""
    if config.boilerplate_df is None:
        return np.zeros(0, dtype=np.uint32)
    hasher = MinHasher(num_perm=1, ngram=config.ngram, seed=config.seed, shingle=config.shingle,
                       digits=config.digits)
    sides = [(inputs, config.read)] + ([(references, config.against_read)] if references else [])
    common = [common_shingles(sample_texts(paths, options, config.signed_fields), hasher,
                              config.boilerplate_df) for paths, options in sides]
    return np.union1d(*common) if len(common) > 1 else common[0]
