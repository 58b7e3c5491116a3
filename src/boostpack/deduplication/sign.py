"""Phase 1 of dedup, *sign*: read records, and hash what the later phases compare.

One task per split of a plain JSONL file (line-aligned byte ranges, see
``boostpack.ingestion.splits``) or per compressed/Parquet file, on worker processes: read and
parse, take the dedup text, its 128-bit exact hash, MinHash signature (of the signed text,
boilerplate shingles left out: ``deduplication.boilerplate``), its item key
(when answers are compared, ``deduplication.itemkey``) and (with ``decontam_ngram``) the word
n-gram overlap with the references. The files of task ``t``, in ``WorkDir.task(t)``, one value
per document in document order::

    sig.bin       uint32[n, num_perm]  MinHash signatures (phase 2 verifies candidates with them)
    bands.bin     uint64 LSH band keys (``lsh.band_keys``, the item keys' ``itemkey.band_mix``
                  XORed in when answers are compared), one band at a time per block of
                  documents (``deduplication.bandfile``)
    exact.bin     uint64[n, 2]         128-bit hash of the normalized text (bucket key, check),
                                       with the item key mixed in when there is one
    key.bin       ITEM_KEY[n]          item keys, when answers are compared
    flags.bin     uint8[n]             EMPTY_FLAG: no text left after normalization;
                                       UNSIGNED_FLAG: no shingle left to sign (exact dedup only)
    ids.bin       the record ids as JSON strings, back to back; idend.bin uint64[n] their ends
    score.bin     float64[n]           the keep rank (keep_max field or text length), if needed
  references, with decontam_ngram:
    ngrams.bin    uint64[k]            word n-gram hashes; ngram_doc.bin uint32[k] their document
  inputs:
    lines.bin     uint64[n]            line numbers (local to the split)
    ngram_ref.bin int64[n], ngram_sim.bin float32[n]   n-gram overlap (see decontam.NgramIndex)
    quarantine.pkl                     lists of QuarantineEntry, line numbers local to the split

No copy of the input lines is kept: phase 3 re-reads them from the input by line number, for a
file read whole as for a split (a second compressed copy would cost ~1 KB of scratch per record
and a zstd round trip).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import orjson

from boostpack.deduplication.bandfile import BandWriter
from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.decontam import NgramIndex, ngram_hashes
from boostpack.deduplication.fastread import FastBatch, fast_reader
from boostpack.deduplication.itemkey import (
    NO_ANSWER,
    answer_kind,
    answer_sketcher,
    band_mix,
    item_exact_hashes,
    item_keys,
)
from boostpack.deduplication.lsh import band_keys
from boostpack.deduplication.minhash import EMPTY_HASH_VALUE, MinHasher, exact_hashes
from boostpack.deduplication.text import BatchTexts, batch_texts
from boostpack.deduplication.workdir import WorkDir, dump_pickles, read_array
from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import Batch, read_batches
from boostpack.ingestion.splits import RangeReader, Split
from boostpack.runtime.atomic import atomic_write
from boostpack.runtime.gc_threshold import fewer_collections

EMPTY_FLAG, UNSIGNED_FLAG = 1, 2
# The exact hash of an empty normalized text (MurmurHash3_x64_128 of nothing, seed 0).
_EMPTY_EXACT = (0, 0)


@dataclass(frozen=True)
class SignTask:
    """Phase 1 for one file or one ``split`` of a plain file (None: the whole file, read by
    ``read_batches``); ``index`` numbers the tasks of references + inputs, in order."""

    index: int
    path: str
    is_ref: bool
    work: WorkDir
    config: DedupConfig
    split: Split | None
    batch_lines: int = field(default=8192, compare=False)


class SignResult(TypedDict):
    """What a sign task reports (kept in its completion marker, so plain JSON values)."""

    n: int  # documents (parsed records)
    quarantined: int
    empty: int  # blank lines
    lines_read: int
    bytes: int  # input bytes read, every line with its terminator
    cuts: list[int]  # documents that start an output frame (see deduplication.write)
    ref: bool
    signed: int  # documents with a signature (some shingle left to compare)
    qa: int  # QA records (with a question or an answer)
    fields: dict[str, int]  # QA records holding each compared field
    reasons: dict[str, int]  # quarantine reasons and counts (references only)
    unanswered: int  # signed documents without an answer, when answers are compared


def keep_value(record: Mapping[str, Any], name: str) -> float:
    """The ``keep_max`` rank of a record: its numeric field, or -inf (missing, NaN, not a number)."""
    value = record.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value):
        return float(value)
    return -math.inf


# What orjson escapes in ASCII text: '"', backslash and the C0 controls.
_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def json_ids(ids: list[Any]) -> tuple[bytes, np.ndarray]:
    """The JSON of each id (``orjson.dumps``), back to back, and uint64 lengths. ASCII string
    ids with nothing to escape (the usual kind) are quoted in one join: an ``orjson.dumps`` per
    id allocated a bytes object each, ~1 us per record on the real-QA benchmark data."""
    if set(map(type, ids)) <= {str}:
        text = "".join(ids)
        if text.isascii() and _ESCAPED.search(text) is None:
            lengths = np.fromiter(map(len, ids), dtype=np.uint64, count=len(ids)) + np.uint64(2)
            return b'"' + '""'.join(ids).encode("ascii") + b'"' if ids else b"", lengths
    encoded = [orjson.dumps(i) for i in ids]
    return b"".join(encoded), np.fromiter(map(len, encoded), dtype=np.uint64, count=len(encoded))


def frame_cuts(lengths: np.ndarray, before: int, last: int, done: int, cell: int) -> np.ndarray:
    """Document numbers (counted from ``done``) that start an output frame in a file read
    whole: documents whose line starts past a multiple of ``cell`` in the stream of record
    lines (terminators included), so no batch size changes them. ``before``: that stream's
    bytes ahead of this batch; ``last``: where its previous record started."""
    starts = before + np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    prev = np.concatenate(([last], starts[:-1]))
    return np.flatnonzero(starts // cell > prev // cell) + done


def _bytes_read(batch: Batch) -> int:
    """Input bytes of a batch for throughput: every line and its terminator, blank ones as 1."""
    return (sum(map(len, batch.raw)) + len(batch.raw) + batch.empty
            + sum(len(q.raw.encode("utf-8", "surrogateescape")) + 1 for q in batch.quarantined))


class _FrameCuts:
    """The documents of a file read whole that start an output frame (``frame_cuts``), from the
    lengths of its record lines."""

    def __init__(self, frame_bytes: int) -> None:
        self.frame_bytes = frame_bytes
        self.cuts: list[int] = []
        self.size = self.last_start = 0

    def add(self, lengths: np.ndarray, done: int) -> None:
        """Record lines of ``lengths`` (int64, terminators excluded), from document ``done``."""
        m = len(lengths)
        self.cuts += frame_cuts(lengths, self.size, self.last_start, done, self.frame_bytes).tolist()
        self.last_start = self.size + int(lengths[:-1].sum()) + m - 1
        self.size += int(lengths.sum()) + m


class _SignFiles:
    """The files of one sign task (module docstring), open for atomic writing in ``stack``;
    ``n``: documents written so far."""

    def __init__(self, stack: contextlib.ExitStack, task: SignTask, whole_file: bool) -> None:
        d = task.work.task(task.index)
        d.mkdir(parents=True, exist_ok=True)
        cfg = self.config = task.config

        def out(name: str) -> Any:
            return stack.enter_context(atomic_write(d / name, "wb"))

        self.sig, self.exact, self.flags = out("sig.bin"), out("exact.bin"), out("flags.bin")
        self.bands = BandWriter(out("bands.bin"), cfg.bands)
        self.keys = out("key.bin") if cfg.compares_answers else None
        self.ids, self.idend = out("ids.bin"), out("idend.bin")
        self.score = out("score.bin") if cfg.keep_max or cfg.keep == "longest" else None
        self.ngrams = self.ngram_doc = self.lines = self.ngram_ref = self.ngram_sim = None
        self.quarantine, self.cuts = None, None
        if task.is_ref:
            if cfg.decontam_ngram:
                self.ngrams, self.ngram_doc = out("ngrams.bin"), out("ngram_doc.bin")
        else:
            self.lines, self.ngram_ref, self.ngram_sim = out("lines.bin"), out("ngram_ref.bin"), out("ngram_sim.bin")
            self.quarantine = out("quarantine.pkl")
            if whole_file:
                self.cuts = _FrameCuts(cfg.frame_bytes)
        self.n = self.id_bytes = 0

    def hashes(self, texts: BatchTexts, hasher: MinHasher, sketcher: MinHasher | None,
               result: SignResult) -> None:
        """Signatures, band keys, exact hashes, item keys and flags of a batch; counts the
        documents with a signature (and those without an answer) in ``result``."""
        cfg = self.config
        signed = texts.signed
        sigs = hasher.signatures_packed(signed.data, signed.offsets)
        self.sig.write(np.ascontiguousarray(sigs, dtype=np.uint32))  # the array's buffer: no copy
        unsigned = (sigs == EMPTY_HASH_VALUE).all(axis=1)
        result["signed"] += int((~unsigned).sum())
        bands = band_keys(sigs, cfg.bands, cfg.rows)
        exact = exact_hashes(signed.data, signed.offsets, cfg.digits)
        empty = (exact == _EMPTY_EXACT).all(axis=1)
        if texts.answers is not None and sketcher is not None:
            answers = texts.answers
            items = item_keys((signed.data, signed.offsets), (answers.data, answers.offsets), sketcher)
            self.keys.write(items.tobytes())
            answer_exact = exact_hashes(answers.data, answers.offsets, cfg.digits)
            empty &= (answer_exact == _EMPTY_EXACT).all(axis=1)
            exact = item_exact_hashes(exact, answer_exact, items)
            result["unanswered"] += int(((answer_kind(items) == NO_ANSWER) & ~unsigned).sum())
            bands ^= band_mix(items)[:, None]
        self.bands.add(bands)
        self.exact.write(np.ascontiguousarray(exact, dtype=np.uint64).tobytes())
        flags = np.where(empty, EMPTY_FLAG, np.where(unsigned, UNSIGNED_FLAG, 0)).astype(np.uint8)
        self.flags.write(flags.tobytes())

    def ids_and_scores(self, batch: Batch | FastBatch, texts: BatchTexts) -> None:
        if isinstance(batch, FastBatch):
            ids = batch.ids
            data, lengths = ((ids.data, np.diff(ids.offsets)) if batch.clean
                             else json_ids([t[1:-1] for t in ids.texts]))
        else:
            data, lengths = json_ids([r["id"] for r in batch.records])  # JSON-ready for removed/
        self.ids.write(data)
        ends = np.cumsum(lengths, dtype=np.uint64) + np.uint64(self.id_bytes)
        self.idend.write(ends.tobytes())
        self.id_bytes = int(ends[-1])
        if self.config.keep_max:
            scores = [keep_value(r, self.config.keep_max) for r in batch.records]
            self.score.write(np.array(scores, dtype=np.float64).tobytes())
        elif self.score is not None:
            self.score.write(texts.lengths.astype(np.float64).tobytes())

    def reference_ngrams(self, texts: list[str]) -> None:
        cfg = self.config
        h, doc = ngram_hashes(texts, cfg.decontam_ngram, cfg.digits)
        self.ngrams.write(h.tobytes())
        self.ngram_doc.write((doc.astype(np.uint64) + self.n).astype(np.uint32).tobytes())

    def input_lines(self, batch: Batch | FastBatch, texts: list[str], index: NgramIndex | None) -> None:
        """Line numbers, n-gram overlap with the references (``index``) and frame cuts."""
        cfg = self.config
        self.lines.write(np.asarray(batch.lines, dtype=np.uint64).tobytes())
        if index is not None:
            ref, overlap = index.match(texts, cfg.decontam_ngram, cfg.decontam_min_overlap, cfg.digits)
            self.ngram_ref.write(ref.tobytes())
            self.ngram_sim.write(overlap.tobytes())
        if self.cuts is not None:
            lengths = (batch.lengths if isinstance(batch, FastBatch)
                       else np.fromiter(map(len, batch.raw), dtype=np.int64, count=len(batch.raw)))
            self.cuts.add(lengths, self.n)


def _hashers(task: SignTask) -> tuple[MinHasher, MinHasher | None]:
    """The run's MinHasher (boilerplate excluded) and the answer sketcher (None without item keys)."""
    cfg = task.config
    exclude = np.load(task.work.boilerplate) if cfg.boilerplate_df is not None else None
    hasher = MinHasher(num_perm=cfg.num_perm, ngram=cfg.ngram, seed=cfg.seed, shingle=cfg.shingle,
                       digits=cfg.digits, exclude=exclude)
    sketcher = (answer_sketcher(cfg.shingle, cfg.ngram, cfg.seed, cfg.digits)
                if cfg.compares_answers else None)
    return hasher, sketcher


def _count_fields(result: SignResult, records: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
    """QA records, and how many hold each compared field (a mistyped ``--fields`` shows as 0)."""
    qa = [r for r in records if "question" in r or "answer" in r]
    result["qa"] += len(qa)
    for name in fields:  # map(contains): the loop in C, 4x a generator's speed
        held = sum(map(operator.contains, qa, itertools.repeat(name)))
        result["fields"][name] = result["fields"].get(name, 0) + held


def _sign_documents(files: _SignFiles, batch: Batch | FastBatch, texts: BatchTexts,
                    index: NgramIndex | None, hasher: MinHasher, sketcher: MinHasher | None,
                    result: SignResult) -> None:
    """The per-document files of a batch's records (``texts``: their compared texts)."""
    files.hashes(texts, hasher, sketcher, result)
    files.ids_and_scores(batch, texts)
    if files.lines is not None:  # an input's
        files.input_lines(batch, texts.full() if index is not None else [], index)
    elif files.ngrams is not None:
        files.reference_ngrams(texts.full())
    files.n += len(batch.lines)


@fewer_collections()
def sign_task(task: SignTask) -> SignResult:
    """Read one file or split and write its per-document files; return its counts."""
    cfg = task.config
    options = cfg.against_read if task.is_ref else cfg.read
    hasher, sketcher = _hashers(task)
    reader = None
    classify = fast_reader(cfg, options)
    batches: Iterable[Batch | FastBatch]
    if task.split is None:
        batches = read_batches(task.path, options, batch_lines=task.batch_lines, classify=classify)
    else:
        reader = RangeReader(task.path, task.split, options, cfg.frame_bytes)
        batches = reader.batches(task.batch_lines, classify)
    index = None
    if cfg.decontam_ngram and not task.is_ref:
        index = NgramIndex.load(task.work.ngram_index)
    result = SignResult(n=0, quarantined=0, empty=0, lines_read=0, bytes=0, cuts=[],
                        ref=task.is_ref, signed=0, qa=0, fields={}, reasons={},
                        unanswered=0)
    with contextlib.ExitStack() as stack:
        files = _SignFiles(stack, task, whole_file=reader is None)
        for batch in batches:
            if isinstance(batch, FastBatch):
                result["lines_read"] += batch.size
                result["bytes"] += batch.bytes_read
                result["qa"] += batch.size
                for name in cfg.fields:
                    result["fields"][name] = result["fields"].get(name, 0) + batch.size
                _sign_documents(files, batch, batch.texts, index, hasher, sketcher, result)
                continue
            result["lines_read"] += batch.lines_read
            result["empty"] += batch.empty
            result["quarantined"] += len(batch.quarantined)
            result["bytes"] += _bytes_read(batch)
            if batch.quarantined and not task.is_ref:
                dump_pickles(files.quarantine, batch.quarantined)
            for q in batch.quarantined if task.is_ref else ():
                result["reasons"][q.reason] = result["reasons"].get(q.reason, 0) + 1
            if not batch.records:
                continue
            try:
                texts = batch_texts(batch.records, cfg.signed_fields, sketcher is not None)
            except TypeError as exc:
                line = batch.lines[0] + (reader.line_base() if reader is not None else 0)
                raise InvalidInput(f"{task.path}:{line}..: a dedup field is not text ({exc})") from None
            _count_fields(result, batch.records, cfg.fields)
            _sign_documents(files, batch, texts, index, hasher, sketcher, result)
        files.bands.close()
    result["n"] = files.n
    result["cuts"] = reader.cuts if reader is not None else files.cuts.cuts if files.cuts else []
    return result


def build_ngram_index(work: WorkDir, ref_results: list[SignResult], cfg: DedupConfig) -> None:
    """Merge the references' n-grams (their sign files) into one sorted index for the workers,
    the scaffolding left out (``decontam.scaffolding``)."""
    if (work.ngram_index / "ngram_refs.npy").exists():
        return
    hashes, refs = [], []
    offset = 0
    for i, r in enumerate(ref_results):
        d = work.task(i)
        hashes.append(read_array(d / "ngrams.bin", np.uint64))
        refs.append(read_array(d / "ngram_doc.bin", np.uint32, len(hashes[-1])) + np.uint32(offset))
        offset += r["n"]
    NgramIndex.build(np.concatenate(hashes), np.concatenate(refs), cfg.decontam_ngram).save(work.ngram_index)
