"""``dedup()``: exact + near-duplicate removal and benchmark decontamination, out of core.

Three phases, each resumable (see ``executor``), with all per-document state in numpy arrays or
files (under 64 bytes per document in memory, the signatures on disk):

1. *sign* — one task per split of a plain JSONL file (``split_bytes``, line-aligned byte
   ranges, see ``boostpack.ingestion.splits``) or per compressed/Parquet file, on worker processes: read
   and parse, take the dedup text, 128-bit exact hash, MinHash signature, LSH band keys, and
   (with ``decontam_ngram``) the word n-gram overlap with the references. Writes flat binary
   files under ``OUTDIR/.work/sign/``, plus the raw lines (zstd) of a file read whole so phase 3
   need not decompress and parse it again (a split's lines are re-read from the input).
2. *cluster* — exact groups in the parent; then one task per LSH band, on worker processes:
   candidate pairs from sorted band keys (spilled to run files past ``memory / workers``);
   then in the parent, band by band: pairs not already joined are verified by signature
   Jaccard and merged by union-find; contamination; the keep policy. Writes one decision file
   per sign task.
3. *write* — one task per sign task, on worker processes: its part of ``kept/``, ``removed/``
   and ``quarantine/``; the parent joins the parts of each input file (a rename when there is
   one). Output files are zstd frames cut every ``frame_bytes`` of input, so the bytes do not
   depend on the split.
``report.json`` is written last; a directory without it is not a finished result.

Rules (documented promises, tested):
* Document numbers: references first, then inputs, in the order given (files) and line order.
* Exact: inputs whose normalized dedup text has the same 128-bit hash are one group; only the
  group's best member (by the keep rule) takes part in LSH. A removed document is ``exact`` when
  an identical copy ranks ahead of it (what an exact-only pass would remove), else ``near``;
  ``dup_of`` is always the document kept in its place.
* Near: a candidate pair (two documents sharing an LSH bucket, paired to the bucket's smallest
  member) is unioned only if its signature Jaccard is >= ``threshold``, so a chance bucket
  collision never glues two clusters together. Then every member is checked against its
  cluster's kept document: one below the threshold (it joined through a chain of verified
  pairs) leaves with the others like it to form a new cluster, where the same rule applies,
  until every removed document has signature Jaccard >= ``threshold`` with the one kept in its
  place (its ``similarity``; 1.0 for an identical copy). With ``verify=False`` every candidate
  pair is unioned and components are the clusters (classic LSH; similarity is still reported).
* Contamination: an input exactly equal to, or a verified near pair of, a reference document —
  or, in n-gram mode, sharing a word n-gram (or ``decontam_min_overlap`` of its n-grams) with
  one — is removed as ``contaminated``; ``dup_of`` names the closest reference (ties: the first).
  Exact copies of a contaminated input are contaminated too. Contaminated inputs are never kept
  and never chosen as a cluster's representative.
* Keep: in each cluster the kept document is the first in input order (``first``), the one with
  the longest dedup text in UTF-8 bytes (``longest``), or the largest numeric ``keep_max`` field
  (missing or non-numeric values rank lowest); ties go to the earliest.
* Empty documents (no dedup text after normalization: only punctuation, or ``fields`` that the
  record lacks) are never duplicates of anything, exact or near, nor contaminated: there is
  nothing to compare, and a mistyped ``--fields`` must not collapse a corpus into one record.
  They are kept and counted as ``empty_text``.
* Independence: the output does not depend on ``workers``, ``memory`` (spilling),
  ``split_bytes`` or ``batch_lines``. Input order matters through the keep rule (``first``, ties) and, in one
  corner, through the bucket stars: a pair is verified against the bucket's smallest member,
  so a bucket whose members are not all mutually similar can connect differently when
  renumbered. The kept set is unchanged under permuted input files on real QA (tested).

Removed-record layout (one JSON object per line in ``removed/*.jsonl.zst``, keys in this order)::

    {"reason":"exact"|"near"|"contaminated","dup_of":"<id>","similarity":0.8125,
     "file":"<input path>","line_number":12,"record":<the original line, verbatim>}

``record`` is the original input line embedded as is (it is a JSON object, so the whole line
is valid JSON, and nothing is re-encoded): parsing gives the record, and
``line[line.index(b',"record":') + 10 : -1]`` gives back its exact bytes (the sequence
``,"record":`` cannot occur earlier, inside the escaped strings before it). See
``removed_line()``.
"""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import pickle
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import zstandard

from boostpack.deduplication.candidates import PairFinder
from boostpack.errors import InvalidInput
from boostpack.ingestion.splits import Split
from boostpack.runtime.atomic import atomic_write, sweep_temp_files
from boostpack.runtime.executor import TaskRunner, resolve_workers
from boostpack.runtime.gc_threshold import fewer_collections
from boostpack.runtime.sizes import parse_size

KEEP_POLICIES = ("first", "longest")
REASONS = ("exact", "near", "contaminated")
_REASON_BYTES = {i + 1: r.encode() for i, r in enumerate(REASONS)}
_KEPT, _EXACT, _NEAR, _CONTAMINATED = 0, 1, 2, 3
_NONE32 = np.uint32(0xFFFFFFFF)
_EMPTY_FLAG = 1
# Pairs verified per gather of signatures: 32k pairs x 2 x 512 B = 32 MB at 128 permutations.
_VERIFY_CHUNK = 1 << 15
# Phase 1 task size for plain inputs (see boostpack.ingestion.splits) and output frame size (see _write).
# 32 MB is ~1 s of work per task; 64 MB made 300 MB into 5 tasks, 3 of them on one of 2 workers.
_SPLIT_BYTES = 32 << 20
_FRAME_BYTES = 16 << 20
# zstd level 1: 300 MB/s per core on QA JSON at ratio 0.25, against 180 MB/s and 0.23 at level 3.
_ZSTD_LEVEL = 1
_WORK = ".work"


def removed_line(line: bytes) -> bytes:
    """The original input line inside one line of ``removed/*.jsonl.zst``, byte for byte."""
    return line[line.index(b',"record":') + 10 : -1]


@dataclass(frozen=True)
class DedupConfig:
    """Every option that changes the output (``workers`` and ``memory`` never do)."""

    threshold: float
    num_perm: int
    shingle: str
    ngram: int
    seed: int
    digits: str
    bands: int
    rows: int
    fields: tuple[str, ...]
    keep: str
    keep_max: str | None
    verify: bool
    decontam_ngram: int | None
    decontam_min_overlap: float | None
    fmt: str
    mapping: tuple[tuple[str, str], ...] | None
    strict: bool
    requests: tuple[str, ...]
    frame_bytes: int  # kept/removed files get a zstd frame per this much input (see _write)


@dataclass(frozen=True)
class _SignTask:
    """Phase 1 for one file or one ``split`` of a plain file (None: the whole file, read by
    ``read_batches``); ``index`` numbers the tasks of references + inputs, in order."""

    index: int
    path: str
    is_ref: bool
    work: str
    config: DedupConfig
    split: Split | None
    batch_lines: int = field(default=8192, compare=False)


@dataclass(frozen=True)
class _WriteTask:
    """Phase 3 for the documents of one sign task (``split``: see ``_SignTask``)."""

    index: int
    path: str
    work: str
    split: Split | None
    stat: tuple[int, int]  # the input's size and mtime when the run started
    line_base: int  # lines of the file before the task's split
    cuts: tuple[int, ...] = field(repr=False)  # task documents that start an output frame
    offsets: tuple[int, ...] = field(repr=False)  # doc offset per sign task (for dup_of ids)


def _task_dir(work: str, index: int) -> Path:
    return Path(work) / "sign" / f"{index:05d}"


def _output_name(index: int, path: str) -> str:
    base = os.path.basename(path)
    for suffix in (".zst", ".gz", ".parquet", ".jsonl", ".ndjson", ".json"):
        base = base.removesuffix(suffix)
    return f"{index:05d}-{base}"


# ---------------------------------------------------------------------------------------------
# Phase 1: sign


def _keep_value(record: Mapping[str, Any], name: str) -> float:
    value = record.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value):
        return float(value)
    return -math.inf


def _frame_cuts(lengths: np.ndarray, before: int, last: int, done: int, cell: int) -> np.ndarray:
    """Document numbers (counted from ``done``) that start an output frame in a file read
    whole: documents whose line starts past a multiple of ``cell`` in the stream of record
    lines (terminators included), so no batch size changes them. ``before``: that stream's
    bytes ahead of this batch; ``last``: where its previous record started."""
    starts = before + np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    prev = np.concatenate(([last], starts[:-1]))
    return np.flatnonzero(starts // cell > prev // cell) + done


@fewer_collections()
def _sign(task: _SignTask) -> dict[str, Any]:
    """Read one file or split and write its per-document arrays; return its counts."""
    from boostpack.deduplication.lsh import band_keys
    from boostpack.deduplication.minhash import MinHasher, exact_hashes
    from boostpack.ingestion.readers import ReadOptions, read_batches
    from boostpack.ingestion.records import record_text
    from boostpack.ingestion.splits import RangeReader

    cfg = task.config
    hasher = MinHasher(num_perm=cfg.num_perm, ngram=cfg.ngram, seed=cfg.seed, shingle=cfg.shingle,
                       digits=cfg.digits)
    options = ReadOptions(fmt=cfg.fmt, mapping=dict(cfg.mapping) if cfg.mapping else None,
                          strict=cfg.strict, requests=cfg.requests)
    reader = None
    if task.split is None:
        batches = read_batches(task.path, options, batch_lines=task.batch_lines)
    else:
        reader = RangeReader(task.path, task.split, options, cfg.frame_bytes)
        batches = reader.batches(task.batch_lines)
    index = None
    if cfg.decontam_ngram and not task.is_ref:
        from boostpack.deduplication.decontam import NgramIndex

        index = NgramIndex.load(Path(task.work) / "ngram")
    d = _task_dir(task.work, task.index)
    d.mkdir(parents=True, exist_ok=True)
    n = quarantined = empty = lines_read = nbytes = id_bytes = raw_bytes = last_start = 0
    batches_m: list[int] = []
    cuts: list[int] = []
    with contextlib.ExitStack() as stack:
        def out(name: str) -> Any:
            return stack.enter_context(atomic_write(d / name, "wb"))

        f_sig, f_band, f_exact, f_flags = out("sig.bin"), out("bands.bin"), out("exact.bin"), out("flags.bin")
        f_ids, f_idend = out("ids.bin"), out("idend.bin")
        f_score = out("score.bin") if cfg.keep_max or cfg.keep == "longest" else None
        if task.is_ref:
            f_ng, f_ngdoc = (out("ngrams.bin"), out("ngram_doc.bin")) if cfg.decontam_ngram else (None, None)
        else:
            f_lines, f_ngref, f_ngsim = out("lines.bin"), out("ngram_ref.bin"), out("ngram_sim.bin")
            # Quarantine entries as objects: their line numbers are local to the split until
            # phase 3, which knows the lines of the splits before (see boostpack.ingestion.splits).
            f_quarantine = out("quarantine.pkl")
            # Phase 3 re-reads a split's lines from the input; a file read whole (compressed)
            # keeps them here, so that phase 3 need not decompress and parse it again.
            raw_writer = None
            if reader is None:
                raw_writer = zstandard.ZstdCompressor(level=_ZSTD_LEVEL).stream_writer(
                    out("raw.zst"), closefd=False)
        for batch in batches:
            lines_read += batch.lines_read
            empty += batch.empty
            quarantined += len(batch.quarantined)
            # Bytes read (for throughput): every line and its terminator, blank ones as 1 byte.
            nbytes += sum(map(len, batch.raw)) + len(batch.raw) + batch.empty + sum(
                len(q.raw.encode("utf-8", "surrogateescape")) + 1 for q in batch.quarantined)
            if batch.quarantined and not task.is_ref:
                pickle.dump(batch.quarantined, f_quarantine, protocol=pickle.HIGHEST_PROTOCOL)
            m = len(batch.records)
            if m == 0:
                continue
            try:
                texts = [record_text(r, cfg.fields) for r in batch.records]
            except TypeError as exc:
                line = batch.lines[0] + (reader.line_base() if reader is not None else 0)
                raise InvalidInput(f"{task.path}:{line}..: a dedup field is not text ({exc})") from None
            enc = [t.encode("utf-8", "surrogatepass") for t in texts]
            lengths = np.fromiter((len(e) for e in enc), dtype=np.uint64, count=m)
            offsets = np.zeros(m + 1, dtype=np.uint64)
            np.cumsum(lengths, out=offsets[1:])
            data = b"".join(enc)
            sigs = hasher.signatures_packed(data, offsets)
            f_sig.write(np.ascontiguousarray(sigs, dtype=np.uint32).tobytes())
            # Band-major per batch: phase 2 reads one band at a time, contiguously.
            keys = band_keys(sigs, cfg.bands, cfg.rows)
            f_band.write(np.ascontiguousarray(keys.T, dtype=np.uint64).tobytes())
            f_exact.write(np.ascontiguousarray(exact_hashes(data, offsets, cfg.digits), dtype=np.uint64).tobytes())
            f_flags.write(np.where((sigs == 0xFFFFFFFF).all(axis=1), _EMPTY_FLAG, 0).astype(np.uint8).tobytes())
            ids = [orjson.dumps(r["id"]) for r in batch.records]  # JSON-ready for removed/
            f_ids.write(b"".join(ids))
            ends = np.cumsum(np.fromiter(map(len, ids), dtype=np.uint64, count=m)) + np.uint64(id_bytes)
            f_idend.write(ends.tobytes())
            id_bytes = int(ends[-1])
            if cfg.keep_max:
                f_score.write(np.array([_keep_value(r, cfg.keep_max) for r in batch.records],
                                       dtype=np.float64).tobytes())
            elif f_score is not None:
                f_score.write(lengths.astype(np.float64).tobytes())
            if task.is_ref:
                if f_ng is not None:
                    from boostpack.deduplication.decontam import ngram_hashes

                    h, doc = ngram_hashes(texts, cfg.decontam_ngram, cfg.digits)
                    f_ng.write(h.tobytes())
                    f_ngdoc.write((doc.astype(np.uint64) + n).astype(np.uint32).tobytes())
            else:
                f_lines.write(np.asarray(batch.lines, dtype=np.uint64).tobytes())
                if index is not None:
                    ref, overlap = index.match(texts, cfg.decontam_ngram, cfg.decontam_min_overlap,
                                               cfg.digits)
                    f_ngref.write(ref.tobytes())
                    f_ngsim.write(overlap.tobytes())
                if raw_writer is not None:
                    raw_writer.write(b"\n".join(batch.raw) + b"\n")
                    raw_len = np.fromiter(map(len, batch.raw), dtype=np.int64, count=m)
                    cuts += _frame_cuts(raw_len, raw_bytes, last_start, n, cfg.frame_bytes).tolist()
                    last_start = raw_bytes + int(raw_len[:-1].sum()) + m - 1
                    raw_bytes += int(raw_len.sum()) + m
            n += m
            batches_m.append(m)
        if not task.is_ref and raw_writer is not None:
            raw_writer.flush(zstandard.FLUSH_FRAME)
    if reader is not None:
        cuts = reader.cuts
    return {"n": n, "batches": batches_m, "quarantined": quarantined, "empty": empty,
            "lines_read": lines_read, "bytes": nbytes, "cuts": cuts, "ref": task.is_ref}


# ---------------------------------------------------------------------------------------------
# Phase 2: cluster


class _Store:
    """The phase-1 files of all tasks, addressed by global document number.

    Columns and bands are read with ``pread``. Signatures are gathered row by row for the
    verification of candidate pairs, scattered over the files: through a memory map with numpy
    indexing (a ``pread`` per row cost ~3 us with its Python loop, ~40% of phase 2 on the
    benchmark data); after each gather ``MADV_DONTNEED`` unmaps the touched pages again, so
    the signature files (512 B/doc) never count as resident memory of this process.
    """

    def __init__(self, work: str, results: list[dict[str, Any]], config: DedupConfig) -> None:
        self.work, self.results, self.config = work, results, config
        self.sizes = np.array([r["n"] for r in results], dtype=np.int64)
        self.offsets = np.concatenate(([0], np.cumsum(self.sizes)))
        self._fds: dict[tuple[int, str], int] = {}
        self._maps: dict[int, tuple[mmap.mmap, np.ndarray]] = {}

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        maps = [m for m, _ in self._maps.values()]
        self._maps.clear()  # the arrays go first: a map with exported buffers cannot close
        for m in maps:
            m.close()

    def _rows(self, task: int) -> tuple[mmap.mmap, np.ndarray]:
        if task not in self._maps:
            with open(_task_dir(self.work, task) / "sig.bin", "rb") as f:
                m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            self._maps[task] = (m, np.frombuffer(m, dtype=np.uint32).reshape(-1, self.config.num_perm))
        return self._maps[task]

    def _fd(self, task: int, name: str) -> int:
        key = (task, name)
        if key not in self._fds:
            self._fds[key] = os.open(_task_dir(self.work, task) / name, os.O_RDONLY)
        return self._fds[key]

    def column(self, name: str, dtype: Any, width: int = 1, first_task: int = 0) -> np.ndarray:
        """A per-document array over the documents of tasks ``first_task..``, read into memory."""
        parts = [np.fromfile(_task_dir(self.work, i) / name, dtype=dtype)
                 for i in range(first_task, len(self.sizes))]
        out = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        return out.reshape(-1, width) if width > 1 else out

    def band(self, b: int) -> Iterator[tuple[int, np.ndarray]]:
        """(first doc, keys uint64[m]) per phase-1 batch for band ``b``, in document order."""
        bands = self.config.bands
        for i, r in enumerate(self.results):
            if not r["n"]:
                continue
            fd = self._fd(i, "bands.bin")
            pos, doc = 0, int(self.offsets[i])
            for m in r["batches"]:
                data = os.pread(fd, 8 * m, 8 * (pos + b * m))
                yield doc, np.frombuffer(data, dtype=np.uint64)
                pos += bands * m
                doc += m

    def signatures(self, docs: np.ndarray) -> np.ndarray:
        """uint32[len(docs), num_perm]: the signatures of ``docs``, read from the task files."""
        uniq, inverse = np.unique(docs, return_inverse=True)
        rows = np.empty((len(uniq), self.config.num_perm), dtype=np.uint32)
        task = np.searchsorted(self.offsets, uniq, side="right") - 1
        bounds = np.searchsorted(task, np.arange(len(self.sizes) + 1))
        for t in np.flatnonzero(np.diff(bounds)):
            lo, hi = int(bounds[t]), int(bounds[t + 1])
            m, sigs = self._rows(int(t))
            np.take(sigs, uniq[lo:hi].astype(np.int64) - self.offsets[t], axis=0, out=rows[lo:hi])
            m.madvise(mmap.MADV_DONTNEED)
        return rows[inverse.reshape(-1)]


@dataclass(frozen=True)
class _BandTask:
    """Phase 2 candidate pairs of one LSH band."""

    band: int
    work: str
    ref_count: int
    memory: int
    config: DedupConfig
    tasks: tuple[tuple[int, tuple[int, ...]], ...] = field(repr=False)  # (n, batch sizes) per file


_PAIR = np.dtype([("a", "<u4"), ("b", "<u4")])


def _band_pairs(task: _BandTask) -> dict[str, Any]:
    """Write ``pairs/<band>.bin``: the band's candidate pairs (uint32 a, b records) among the
    documents of ``pairs/member.bin``; return how many and how many sort runs spilled."""
    work = Path(task.work)
    member = np.fromfile(work / "pairs" / "member.bin", dtype=bool)
    results = [{"n": n, "batches": list(batches)} for n, batches in task.tasks]
    store = _Store(task.work, results, task.config)
    finder = PairFinder(task.ref_count, task.memory, work / "spill" / f"band{task.band:03d}")
    count = 0
    try:
        keys = ((first, k, member[first : first + len(k)]) for first, k in store.band(task.band))
        chunks = ((k[m], np.flatnonzero(m).astype(np.uint32) + np.uint32(first)) for first, k, m in keys)
        with atomic_write(work / "pairs" / f"{task.band:03d}.bin") as f:
            for a, b in finder.pairs(chunks, size_hint=int(member.sum())):
                out = np.empty(len(a), dtype=_PAIR)
                out["a"], out["b"] = a, b
                f.write(out.tobytes())
                count += len(a)
    finally:
        store.close()
    return {"pairs": count, "spilled_runs": finder.runs_spilled}


def _read_pairs(path: Path, step: int = 1 << 20) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The pairs ``_band_pairs`` wrote, a million at a time."""
    with open(path, "rb") as f:
        while data := f.read(step * _PAIR.itemsize):
            pairs = np.frombuffer(data, dtype=_PAIR)
            yield pairs["a"].copy(), pairs["b"].copy()


def _similarity(store: _Store, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32[m]: signature Jaccard of the document pairs ``(a[i], b[i])``."""
    from boostpack.deduplication.lsh import signature_similarity

    out = np.empty(len(a), dtype=np.float32)
    for s in range(0, len(a), _VERIFY_CHUNK):
        e = min(s + _VERIFY_CHUNK, len(a))
        # One gather for both sides: star centres repeat, and reads are shared.
        both = store.signatures(np.concatenate((a[s:e], b[s:e])))
        out[s:e] = signature_similarity(both[: e - s], both[e - s :])
    return out


def _cluster(work: str, results: list[dict[str, Any]], ref_count: int, config: DedupConfig,
             memory: int, runner: TaskRunner) -> dict[str, Any]:
    """Phase 2: decide every input document; write ``plan/<task>.bin`` files; return stats."""
    store = _Store(work, results, config)
    try:
        return _decide(store, work, results, ref_count, config, memory, runner)
    finally:
        store.close()


def _decide(store: _Store, work: str, results: list[dict[str, Any]], ref_count: int,
            config: DedupConfig, memory: int, runner: TaskRunner) -> dict[str, Any]:
    """The body of ``_cluster`` (see the module docstring for the rules it applies)."""
    from boostpack.deduplication.unionfind import UnionFind

    total = int(store.offsets[-1])
    if total >= 0xFFFFFFFF:
        raise InvalidInput(f"{total} documents exceed the 2^32-1 a single dedup run supports")
    empty = (store.column("flags.bin", np.uint8) & _EMPTY_FLAG) != 0
    # Per-document state: ~34 B/doc (~42 with references) besides the pair finder's buffer,
    # which gets what is left of the budget (32 B per buffered entry, one entry per document).
    pair_memory = max(memory - 42 * total, 64 << 20)
    finder = PairFinder(ref_count, pair_memory, Path(work) / "spill")
    uf = UnionFind(total)
    # The reference each input is closest to, and how close; only when there are references.
    contam_ref = np.full(total if ref_count else 0, _NONE32, dtype=np.uint32)
    contam_sim = np.zeros(total if ref_count else 0, dtype=np.float32)
    exact_first = np.arange(total, dtype=np.uint32)
    stats = {"exact_pairs": 0, "candidate_pairs": 0, "verified_pairs": 0, "rejected_pairs": 0,
             "spilled_runs": 0}

    # Exact groups: the first 64 bits are the bucket key, the other 64 confirm.
    exact = store.column("exact.bin", np.uint64, 2)
    eligible = ~empty
    empty_text = int(empty[ref_count:].sum())

    for a, b in finder.pairs(_masked_chunks(exact[:, 0], eligible), size_hint=total):
        ok = exact[a, 1] == exact[b, 1]
        a, b = a[ok], b[ok]
        ref = a < ref_count
        if ref.any():
            np.minimum.at(contam_ref, b[ref], a[ref])
            contam_sim[b[ref]] = 1.0
            a, b = a[~ref], b[~ref]
        exact_first[b] = a  # the star centre is the group's smallest input
        uf.union(a, b)
        stats["exact_pairs"] += len(a)
    stats["spilled_runs"] += finder.runs_spilled
    del exact, eligible

    # Near duplicates over one representative per exact group.
    member = ~empty
    member[ref_count:] &= exact_first[ref_count:] == np.arange(ref_count, total, dtype=np.uint32)
    del empty
    with atomic_write(Path(work) / "pairs" / "member.bin") as f:
        f.write(member.tobytes())
    del member
    # Candidate pairs of each band come from band tasks (sorting is the bulk of the work and the
    # bands are independent); verification and union stay here, where the union-find can skip
    # pairs an earlier band already joined.
    band_tasks = [_BandTask(b, work, ref_count, max(memory // runner.workers, 64 << 20), config,
                            tuple((r["n"], tuple(r["batches"])) for r in results))
                  for b in range(config.bands)]
    for band, result in enumerate(runner.run(_band_pairs, band_tasks, Path(work) / "done-bands")):
        stats["spilled_runs"] += result["spilled_runs"]
        roots = uf.roots()
        for a_all, b_all in _read_pairs(Path(work) / "pairs" / f"{band:03d}.bin"):
            ref = a_all < ref_count
            # Pairs already in one cluster need no verification; references are never unioned.
            todo = ref | (roots[a_all] != roots[b_all])
            a_all, b_all, ref = a_all[todo], b_all[todo], ref[todo]
            stats["candidate_pairs"] += len(a_all)
            sim = _similarity(store, a_all, b_all)
            ok = sim >= config.threshold if config.verify else np.ones(len(sim), dtype=bool)
            stats["verified_pairs"] += int(ok.sum())
            stats["rejected_pairs"] += int((~ok).sum())
            a, b, s = a_all[ok & ref], b_all[ok & ref], sim[ok & ref]
            if len(a):
                _best_reference(contam_ref, contam_sim, a, b, s)
            uf.union(a_all[ok & ~ref], b_all[ok & ~ref])

    contam_ngram = 0
    if ref_count:
        # Exact copies share their group representative's contamination.
        inherit = (contam_ref == _NONE32) & (contam_ref[exact_first] != _NONE32)
        contam_ref[inherit] = contam_ref[exact_first[inherit]]
        contam_sim[inherit] = contam_sim[exact_first[inherit]]
        del inherit
    if config.decontam_ngram:
        first_input_task = sum(r["ref"] for r in results)  # not from offsets: a task may be empty
        ng_ref = store.column("ngram_ref.bin", np.int64, first_task=first_input_task)
        ng_sim = store.column("ngram_sim.bin", np.float32, first_task=first_input_task)
        flagged = np.flatnonzero(ng_ref >= 0) + ref_count
        flagged = flagged[contam_ref[flagged] == _NONE32]
        contam_ref[flagged] = ng_ref[flagged - ref_count]
        contam_sim[flagged] = ng_sim[flagged - ref_count]
        contam_ngram = len(flagged)
        del ng_ref, ng_sim

    roots = uf.roots()
    del uf
    # Contamination is rare: keep it as a sparse list from here on.
    c_docs = np.flatnonzero(contam_ref != _NONE32)
    c_ref, c_sim = contam_ref[c_docs], contam_sim[c_docs]
    del contam_ref, contam_sim
    contaminated = np.zeros(total, dtype=bool)
    contaminated[c_docs] = True
    score = None
    if config.keep != "first" or config.keep_max:
        score = store.column("score.bin", np.float64)
    cand = (np.flatnonzero(~contaminated[ref_count:]) + ref_count).astype(np.uint32)
    # A unit is one exact group, represented by its best member; clustering acts on units.
    rep_of_exact = _best_per_group(cand, exact_first, score, total)
    unit_of = rep_of_exact[exact_first[cand]]
    del rep_of_exact
    units = cand[unit_of == cand]
    rep_unit, sim_unit, label = _assign_units(store, units, roots, score, total,
                                              config.threshold if config.verify else None)
    del score, roots

    idx = np.searchsorted(units, unit_of).astype(np.uint32)  # each candidate's unit
    rep = rep_unit[idx]
    action = np.full(total, _KEPT, dtype=np.uint8)
    dup_of = np.full(total, _NONE32, dtype=np.uint32)
    sim = np.ones(total, dtype=np.float32)
    gone = rep != cand
    removed = cand[gone]
    # "exact": an identical copy ranks ahead of it (what an exact-only pass would remove);
    # "near": it is the best of its identical copies but not of its cluster.
    action[removed] = np.where(unit_of[gone] != removed, _EXACT, _NEAR)
    dup_of[removed] = rep[gone]
    sim[removed] = np.where(exact_first[removed] == exact_first[rep[gone]], 1.0, sim_unit[idx[gone]])
    _, sizes = np.unique(label[idx], return_counts=True)
    del rep, gone, removed, idx, unit_of, cand, units, rep_unit, sim_unit, label
    inputs = c_docs >= ref_count
    action[c_docs[inputs]] = _CONTAMINATED
    dup_of[c_docs], sim[c_docs] = c_ref, c_sim
    hist = np.bincount(sizes)
    plan = Path(work) / "plan"
    for i in range(len(results)):
        lo, hi = int(store.offsets[i]), int(store.offsets[i + 1])
        if lo < ref_count:
            continue
        with atomic_write(plan / f"{i:05d}.bin") as f:
            f.write(action[lo:hi].tobytes())
            f.write(dup_of[lo:hi].tobytes())
            f.write(sim[lo:hi].tobytes())
    counts = np.bincount(action[ref_count:], minlength=4)
    return {
        "reasons": {"exact": int(counts[_EXACT]), "near": int(counts[_NEAR]),
                    "contaminated": int(counts[_CONTAMINATED])},
        "contaminated_by_ngram": contam_ngram,
        "clusters": {
            "duplicate_clusters": int((sizes > 1).sum()),
            "largest": int(sizes.max()) if len(sizes) else 0,
            "size_histogram": {str(k): int(v) for k, v in enumerate(hist) if v},
        },
        "pairs": stats,
        "empty_text": empty_text,
    }


def _masked_chunks(keys: np.ndarray, mask: np.ndarray,
                   step: int = 1 << 20) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(keys, doc numbers) of the documents where ``mask`` is set, a million at a time."""
    for s in range(0, len(keys), step):
        docs = (np.flatnonzero(mask[s : s + step]) + s).astype(np.uint32)
        yield keys[docs], docs


def _best_per_group(cand: np.ndarray, group: np.ndarray, score: np.ndarray | None,
                    total: int) -> np.ndarray:
    """uint32[total]: for each group number, its member in ``cand`` that the keep policy keeps
    (largest score, then smallest document number; no score: keep first); _NONE32 for groups
    without one."""
    keys = (cand, group[cand]) if score is None else (cand, -score[cand], group[cand])
    order = np.lexsort(keys)
    ranked = cand[order]
    head = np.ones(len(ranked), dtype=bool)
    head[1:] = group[ranked[1:]] != group[ranked[:-1]]
    best = np.full(total, _NONE32, dtype=np.uint32)
    best[group[ranked[head]]] = ranked[head]
    return best


def _assign_units(store: _Store, units: np.ndarray, roots: np.ndarray, score: np.ndarray | None,
                  total: int, threshold: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Choose the kept unit of every cluster; return per unit ``(kept unit uint32, similarity
    to it float32, final cluster label int64)``.

    Without a threshold the union-find components are the clusters. With one, a unit stays in
    its cluster only if its signature similarity to the cluster's kept unit is >= threshold;
    the others (reached through a chain of verified pairs) form a new cluster of their own, in
    which the same rule applies, round after round. Labels ``round * total + root`` keep the
    clusters of different rounds apart.
    """
    label = roots[units].astype(np.int64)
    kept = _best_per_group(units, roots, score, total)[roots[units]]
    similarity = np.ones(len(units), dtype=np.float32)
    active = np.flatnonzero(kept != units)
    level = 0
    while len(active):
        similarity[active] = _similarity(store, units[active], kept[active])
        if threshold is None:
            break
        far = active[similarity[active] < threshold]
        level += 1
        label[far] = level * total + roots[units[far]].astype(np.int64)
        if len(far):
            # Only the units that moved changed cluster; rank them within their new clusters.
            moved = units[far]
            keys = (moved, label[far]) if score is None else (moved, -score[moved], label[far])
            order = np.lexsort(keys)
            ranked = far[order]
            head = np.ones(len(ranked), dtype=bool)
            head[1:] = label[ranked[1:]] != label[ranked[:-1]]
            first_of = np.cumsum(head) - 1
            kept[ranked] = units[ranked[head]][first_of]
            similarity[far] = 1.0
        active = far[kept[far] != units[far]]
    return kept, similarity, label


def _best_reference(contam_ref: np.ndarray, contam_sim: np.ndarray, a: np.ndarray, b: np.ndarray,
                    s: np.ndarray) -> None:
    """Record for each input ``b`` its most similar reference ``a`` (ties: the smaller number)."""
    cur_ref, cur_sim = contam_ref[b], contam_sim[b]
    better = (cur_ref == _NONE32) | (s > cur_sim) | ((s == cur_sim) & (a < cur_ref))
    a, b, s = a[better], b[better], s[better]
    # Several references for one input in this chunk: sort so the best comes last per input.
    order = np.lexsort((-a.astype(np.int64), s, b))
    a, b, s = a[order], b[order], s[order]
    last = np.ones(len(b), dtype=bool)
    last[:-1] = b[1:] != b[:-1]
    contam_ref[b[last]] = a[last]
    contam_sim[b[last]] = s[last]


# ---------------------------------------------------------------------------------------------
# Phase 3: write


class _Ids:
    """Document ids of all sign tasks as JSON strings, fetched by global document number (each
    task has ``ids.bin``, the ids back to back, and ``idend.bin``, uint64 end offsets), so a
    write task holds no per-document state of the other tasks. Memory maps with numpy
    indexing, unmapped after each lookup as in ``_Store``: reading them with a ``pread`` or two
    per id took ~25% of phase 3 on the benchmark data."""

    def __init__(self, work: str, offsets: Sequence[int]) -> None:
        self.work, self.offsets = work, np.asarray(offsets, dtype=np.int64)
        self._maps: dict[int, tuple[mmap.mmap, mmap.mmap, np.ndarray]] = {}

    def close(self) -> None:
        maps = [(a, b) for a, b, _ in self._maps.values()]
        self._maps.clear()  # the arrays go first: a map with exported buffers cannot close
        for a, b in maps:
            a.close()
            b.close()

    def _task(self, task: int) -> tuple[mmap.mmap, mmap.mmap, np.ndarray]:
        if task not in self._maps:
            d = _task_dir(self.work, task)
            with open(d / "ids.bin", "rb") as f, open(d / "idend.bin", "rb") as g:
                ids = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                ends = mmap.mmap(g.fileno(), 0, access=mmap.ACCESS_READ)
            self._maps[task] = (ids, ends, np.frombuffer(ends, dtype=np.uint64))
        return self._maps[task]

    def json_many(self, docs: np.ndarray) -> list[bytes]:
        """The ids of ``docs`` as JSON strings (quoted, escaped), in order."""
        uniq, inverse = np.unique(docs, return_inverse=True)
        tasks = np.searchsorted(self.offsets, uniq, side="right") - 1
        bounds = np.searchsorted(tasks, np.arange(len(self.offsets)))
        found: list[bytes] = []
        for t in np.flatnonzero(np.diff(bounds)):
            local = uniq[bounds[t] : bounds[t + 1]].astype(np.int64) - self.offsets[t]
            ids, ends_map, ends = self._task(int(t))
            # Each id spans [end of the previous document, its own end).
            stop = ends[local]
            start = np.where(local > 0, ends[np.maximum(local - 1, 0)], 0)
            found += [ids[a:b] for a, b in zip(start.tolist(), stop.tolist(), strict=True)]
            ids.madvise(mmap.MADV_DONTNEED)
            ends_map.madvise(mmap.MADV_DONTNEED)
        return [found[k] for k in inverse.reshape(-1).tolist()]


def _raw_blocks(directory: Path) -> Iterator[list[bytes]]:
    """The raw lines phase 1 saved (``raw.zst``), in order, without terminators, a few MB at a
    time."""
    with open(directory / "raw.zst", "rb") as f, zstandard.ZstdDecompressor().stream_reader(f) as reader:
        pending = b""
        while chunk := reader.read(4 << 20):
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            yield parts
        if pending:
            raise InvalidInput(f"{directory}: saved lines end without a terminator (corrupt work file)")


@fewer_collections()
def _write(task: _WriteTask) -> dict[str, Any]:
    """Write the ``kept``/``removed``/``quarantine`` parts of one sign task into its work
    directory (``dedup`` joins the parts of a file); return the counts.

    A zstd frame per output cell (``_SignTask`` cuts): a file split into tasks gets the same
    frames, hence the same bytes, as when read whole, and readers of the outputs can split
    them at frame boundaries in turn (16 MB frames: +0.04% size on the qa_en benchmark data).
    """
    from boostpack.ingestion.quarantine import QuarantineEntry
    from boostpack.ingestion.splits import record_lines

    if task.split is not None and _stat(task.path) != task.stat:
        raise InvalidInput(f"{task.path}: input changed during the run; rerun to start over")
    d = _task_dir(task.work, task.index)
    plan_path = Path(task.work) / "plan" / f"{task.index:05d}.bin"
    n = plan_path.stat().st_size // 9  # action uint8[n], dup_of uint32[n], similarity float32[n]
    path = orjson.dumps(task.path)
    kept = removed = 0
    ids = _Ids(task.work, task.offsets)
    plan, line_nos = os.open(plan_path, os.O_RDONLY), os.open(d / "lines.bin", os.O_RDONLY)
    cctx = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
    try:
        with atomic_write(d / "kept.zst") as fk, atomic_write(d / "removed.zst") as fr:
            frame_k: list[bytes] = []
            frame_r: list[bytes] = []

            def end_frame() -> None:
                if frame_k:
                    fk.write(cctx.compress(b"".join(frame_k)))
                    frame_k.clear()
                if frame_r:
                    fr.write(cctx.compress(b"".join(frame_r)))
                    frame_r.clear()

            cuts = iter(sorted({c for c in task.cuts if 0 < c < n}))
            cut = next(cuts, n)
            start = 0
            blocks = (_raw_blocks(d) if task.split is None else
                      record_lines(task.path, task.split, np.fromfile(d / "lines.bin", np.uint64)))
            for lines in blocks:
                m = len(lines)
                if start + m > n:
                    raise InvalidInput(f"{task.path}: more saved lines than documents (corrupt work file)")
                lo = 0
                while lo < m:
                    hi = min(m, cut - start)
                    nk, k, nr, r = _render(lines[lo:hi], start + lo, plan, line_nos, n, ids, path,
                                           task.line_base)
                    if nk:
                        frame_k.append(k)
                    if nr:
                        frame_r.append(r)
                    kept += nk
                    removed += nr
                    lo = hi
                    if start + lo == cut:
                        end_frame()
                        cut = next(cuts, n)
                start += m
            if start != n:
                raise InvalidInput(f"{task.path}: fewer saved lines than documents (corrupt work file)")
            end_frame()
        with open(d / "quarantine.pkl", "rb") as f, atomic_write(d / "quarantine.jsonl") as fq:
            while True:
                try:
                    entries: list[QuarantineEntry] = pickle.load(f)
                except EOFError:
                    break
                for q in entries:
                    q.line += task.line_base
                fq.write(b"".join(q.to_json() + b"\n" for q in entries))
    finally:
        os.close(plan)
        os.close(line_nos)
        ids.close()
    return {"kept": kept, "removed": removed}


def _render(lines: list[bytes], first: int, plan: int, line_nos: int, n: int, ids: _Ids,
            path: bytes, line_base: int) -> tuple[int, bytes, int, bytes]:
    """(count, lines) kept and (count, lines) removed, each line with its ``\\n``, of documents
    ``first..`` (one per line of ``lines``), from the plan file (action, dup_of, similarity)
    and the line numbers."""
    m = len(lines)
    act = np.frombuffer(os.pread(plan, m, first), dtype=np.uint8)
    keep = np.flatnonzero(act == _KEPT).tolist()
    kept = b"\n".join([lines[i] for i in keep]) + b"\n" if keep else b""
    gone = np.flatnonzero(act != _KEPT)
    if not len(gone):
        return len(keep), kept, 0, b""
    dup_of = np.frombuffer(os.pread(plan, 4 * m, n + 4 * first), dtype=np.uint32)
    sim = np.frombuffer(os.pread(plan, 4 * m, 5 * n + 4 * first), dtype=np.float32)
    line_no = np.frombuffer(os.pread(line_nos, 8 * m, 8 * first), dtype=np.uint64) + line_base
    # Similarities take few values (k/num_perm, mostly 1.0): format each distinct one once.
    values, which = np.unique(sim[gone], return_inverse=True)
    text = [orjson.dumps(round(v, 4)) for v in values.tolist()]
    # The original line goes in verbatim as the last value: no re-encoding.
    removed = b"".join([
        b'{"reason":"%s","dup_of":%s,"similarity":%s,"file":%s,"line_number":%d,'
        b'"record":%s}\n' % (_REASON_BYTES[reason], dup_id, text[s], path, number, lines[i])
        for i, reason, dup_id, s, number in zip(
            gone.tolist(), act[gone].tolist(), ids.json_many(dup_of[gone]),
            which.reshape(-1).tolist(), line_no[gone].tolist(), strict=True)])
    return len(keep), kept, len(gone), removed


def _join_parts(parts: list[Path], dest: Path, empty: bytes | None) -> None:
    """Concatenate the task parts of one output file into ``dest`` (parts of zstd frames make
    a multi-frame stream); ``empty``: what an output without content holds (None: no file).
    A single part is renamed; a rerun after that finds it gone and ``dest`` in place."""
    if len(parts) == 1 and not parts[0].exists() and dest.exists():
        return
    if not any(p.stat().st_size for p in parts):
        if empty is not None:
            with atomic_write(dest) as f:
                f.write(empty)
    elif len(parts) == 1:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(parts[0], dest)
    else:
        with atomic_write(dest) as f:
            for p in parts:
                with open(p, "rb") as src:
                    shutil.copyfileobj(src, f, 4 << 20)


# ---------------------------------------------------------------------------------------------
# The public call


def _stat(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _fingerprint(config: DedupConfig, inputs: list[str], against: list[str],
                 split_bytes: int) -> bytes:
    """What a resumed run must share with the interrupted one (the split decides the tasks)."""
    def files(paths: list[str]) -> list[Any]:
        return [[p, *_stat(p)] for p in paths]

    return orjson.dumps({"config": asdict(config), "inputs": files(inputs), "against": files(against),
                         "split_bytes": split_bytes}, option=orjson.OPT_SORT_KEYS)


def _prepare(out: Path, fingerprint: bytes) -> None:
    """Start or resume: keep the work of an interrupted run with the same inputs and options."""
    work = out / _WORK
    with contextlib.suppress(FileNotFoundError):
        (out / "report.json").unlink()
    try:
        same = (work / "run.json").read_bytes() == fingerprint
    except FileNotFoundError:
        same = False
    if not same:
        for name in (_WORK, "kept", "removed", "quarantine"):
            shutil.rmtree(out / name, ignore_errors=True)
        with atomic_write(work / "run.json") as f:
            f.write(fingerprint)
    else:
        sweep_temp_files(out)


def _config(*, threshold: float | None, num_perm: int, shingle: str | None, ngram: int | None,
            seed: int, digits: str | None, bands: int | None, rows: int | None, fields: Sequence[str] | str, keep: str,
            keep_max: str | None, verify: bool, decontam_ngram: int | None,
            decontam_min_overlap: float | None, fmt: str, mapping: Mapping[str, str] | None,
            strict: bool, requests: Sequence[str | os.PathLike[str]],
            frame_bytes: int) -> DedupConfig:
    from boostpack.deduplication import settings as s
    from boostpack.deduplication.lsh import optimal_params

    threshold = s.check_threshold(s.DEFAULT_THRESHOLD if threshold is None else threshold)
    num_perm = s.check_num_perm(num_perm)
    shingle = s.check_shingle(s.DEFAULT_SHINGLE if shingle is None else shingle)
    ngram = s.check_ngram(s.DEFAULT_NGRAM if ngram is None else ngram)
    seed = s.check_seed(seed)
    digits = s.check_digits(s.DEFAULT_DIGITS if digits is None else digits)
    if (bands is None) != (rows is None):
        raise InvalidInput("give both bands and rows, or neither")
    if bands is None or rows is None:
        bands, rows = optimal_params(threshold, num_perm)
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise InvalidInput(f"bands x rows ({bands} x {rows}) must be positive and fit in num_perm={num_perm}")
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",")]
    fields = tuple(fields)
    if not fields or not all(isinstance(f, str) and f for f in fields):
        raise InvalidInput(f"fields must be non-empty field names, got {fields!r}")
    if keep not in KEEP_POLICIES:
        raise InvalidInput(f"keep must be one of {', '.join(KEEP_POLICIES)}, got {keep!r}")
    if keep_max is not None and (not keep_max or keep != "first"):
        raise InvalidInput("keep_max needs a field name and replaces keep=longest")
    if decontam_ngram is not None and (not isinstance(decontam_ngram, int) or decontam_ngram < 1):
        raise InvalidInput(f"decontam_ngram must be a positive integer, got {decontam_ngram!r}")
    if decontam_min_overlap is not None:
        if decontam_ngram is None:
            raise InvalidInput("decontam_min_overlap needs decontam_ngram")
        if not 0.0 < decontam_min_overlap <= 1.0:
            raise InvalidInput(f"decontam_min_overlap must be in (0, 1], got {decontam_min_overlap!r}")
    from boostpack.ingestion.readers import ReadOptions

    ReadOptions(fmt=fmt, mapping=mapping, strict=strict, requests=tuple(requests))  # validates
    if not isinstance(frame_bytes, int) or isinstance(frame_bytes, bool) or frame_bytes < 1:
        raise InvalidInput(f"frame_bytes must be a positive integer, got {frame_bytes!r}")
    return DedupConfig(
        threshold=float(threshold), num_perm=num_perm, shingle=shingle, ngram=ngram, seed=seed,
        digits=digits,
        bands=int(bands), rows=int(rows), fields=fields, keep=keep, keep_max=keep_max,
        verify=bool(verify), decontam_ngram=decontam_ngram,
        decontam_min_overlap=None if decontam_min_overlap is None else float(decontam_min_overlap),
        fmt=fmt, mapping=tuple(sorted(mapping.items())) if mapping else None, strict=bool(strict),
        requests=tuple(os.fspath(r) for r in requests), frame_bytes=frame_bytes)


def dedup(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    threshold: float | None = None,
    num_perm: int = 128,
    shingle: str | None = None,
    ngram: int | None = None,
    seed: int = 1,
    digits: str | None = None,
    bands: int | None = None,
    rows: int | None = None,
    fields: Sequence[str] | str = ("question", "answer"),
    against: Sequence[str | os.PathLike[str]] = (),
    keep: str = "first",
    keep_max: str | None = None,
    verify: bool = True,
    decontam_ngram: int | None = None,
    decontam_min_overlap: float | None = None,
    workers: int | None = None,
    memory: str | int = "4G",
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    requests: Sequence[str | os.PathLike[str]] = (),
    batch_lines: int = 8192,
    split_bytes: int = _SPLIT_BYTES,
    frame_bytes: int = _FRAME_BYTES,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Deduplicate ``inputs`` into ``output_dir`` (``kept/``, ``removed/``, ``quarantine/``,
    ``report.json``); return the report. See the module docstring for the rules.

    ``threshold``/``shingle``/``ngram``/``digits`` default to the measured values in
    ``boostpack.deduplication.lsh`` and ``boostpack.deduplication.minhash`` (``digits``: ``"keep"`` or ``"class"``);
    ``bands``/``rows`` default to the datasketch-style optimum for ``threshold`` and ``num_perm``.
    ``against``: reference files (e.g. benchmark test sets) to decontaminate against.
    ``requests``: OpenAI batch input files giving batch-output lines their question.
    ``workers``: processes for the read/sign and write phases (default:
    ``$BOOSTPACK_WORKERS``, else all cores);
    ``memory``: budget for the clustering phase (``"4G"``), past which candidate sorting spills
    to disk. Neither changes the output. Rerunning into the same ``output_dir`` after an interruption resumes.
    ``split_bytes``: plain JSONL inputs are read in tasks of about this many bytes (rounded up
    to a multiple of ``frame_bytes``), so one big file keeps every worker busy; it never
    changes the output. ``frame_bytes``: the output files get a zstd frame per this much input.
    """
    from boostpack.ingestion.readers import expand_inputs
    from boostpack.runtime.console import Progress, log

    t_start = time.monotonic()
    config = _config(threshold=threshold, num_perm=num_perm, shingle=shingle, ngram=ngram, seed=seed,
                     digits=digits,
                     bands=bands, rows=rows, fields=fields, keep=keep, keep_max=keep_max,
                     verify=verify, decontam_ngram=decontam_ngram,
                     decontam_min_overlap=decontam_min_overlap, fmt=fmt, mapping=mapping,
                     strict=strict, requests=requests, frame_bytes=frame_bytes)
    if not isinstance(split_bytes, int) or isinstance(split_bytes, bool) or split_bytes < 1:
        raise InvalidInput(f"split_bytes must be a positive integer, got {split_bytes!r}")
    # Splits must start on frame boundaries for the frames not to depend on the split.
    split_bytes = -(-split_bytes // frame_bytes) * frame_bytes
    workers = resolve_workers(workers)
    memory_bytes = parse_size(memory, "memory budget", minimum=64 << 20)
    if not isinstance(batch_lines, int) or batch_lines < 1:
        raise InvalidInput(f"batch_lines must be a positive integer, got {batch_lines!r}")
    input_files = expand_inputs(inputs)
    ref_files = expand_inputs(against) if against else []
    if not input_files:
        raise InvalidInput("no input files")
    if config.decontam_ngram and not ref_files:
        raise InvalidInput("decontam_ngram needs reference files (against=...)")
    for p in input_files + ref_files:
        if not os.access(p, os.R_OK):
            raise InvalidInput(f"{p}: not readable")
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out}: output exists and is not a directory")
    for p in input_files + ref_files:
        # A rerun would read its own output (or clear its own input) otherwise.
        if out.resolve() in Path(p).resolve().parents:
            raise InvalidInput(f"{p}: input is inside the output directory {out}")
    _prepare(out, _fingerprint(config, input_files, ref_files, split_bytes))
    started = {p: _stat(p) for p in input_files}  # phase 3 re-reads splits of the inputs
    work = str(out / _WORK)
    timings: dict[str, float] = {}

    from boostpack.ingestion.readers import ReadOptions
    from boostpack.ingestion.splits import plan_splits, splittable

    options = ReadOptions(fmt=fmt, mapping=mapping, strict=strict, requests=tuple(requests))
    tasks: list[_SignTask] = []
    file_of: list[int] = []  # input file number (references first) per task
    for i, (p, is_ref) in enumerate([(p, True) for p in ref_files] + [(p, False) for p in input_files]):
        splits = plan_splits(p, options, split_bytes) if splittable(p) else [None]
        for split in splits:
            tasks.append(_SignTask(len(tasks), p, is_ref, work, config, split, batch_lines))
            file_of.append(i)
    n_ref = sum(t.is_ref for t in tasks)
    # One set of worker processes for all phases: spawning them costs ~0.5 s each.
    with TaskRunner(workers) as runner:
        t = time.monotonic()
        results: list[dict[str, Any]] = []
        with Progress("dedup: read+sign", total=len(tasks), unit="tasks", enabled=progress) as bar:
            ref_tasks, input_tasks = tasks[:n_ref], tasks[n_ref:]
            for r in runner.run(_sign, ref_tasks, Path(work) / "done-sign"):
                results.append(r)
                bar.update()
            if config.decontam_ngram:
                _build_ngram_index(work, results)
            for r in runner.run(_sign, input_tasks, Path(work) / "done-sign"):
                results.append(r)
                bar.update()
        timings["read_sign"] = time.monotonic() - t

        t = time.monotonic()
        ref_count = sum(r["n"] for r in results[:n_ref])
        plan_marker = Path(work) / "plan" / "done.json"
        try:
            clusters = orjson.loads(plan_marker.read_bytes())
        except FileNotFoundError:
            clusters = _cluster(work, results, ref_count, config, memory_bytes, runner)
            with atomic_write(plan_marker) as f:
                f.write(orjson.dumps(clusters))
        timings["cluster"] = time.monotonic() - t

        t = time.monotonic()
        offsets = tuple(int(x) for x in np.concatenate(([0], np.cumsum([r["n"] for r in results]))))
        write_tasks = []
        line_base = 0
        for task in input_tasks:
            if task.index == 0 or file_of[task.index] != file_of[task.index - 1]:
                line_base = 0
            write_tasks.append(_WriteTask(task.index, task.path, work, task.split, started[task.path],
                                          line_base, tuple(results[task.index]["cuts"]), offsets))
            line_base += results[task.index]["lines_read"]
        written = list(runner.run(_write, write_tasks, Path(work) / "done-write"))
        empty_frame = zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(b"")
        dirs_of: dict[int, list[Path]] = {}
        for task in input_tasks:
            dirs_of.setdefault(file_of[task.index], []).append(_task_dir(work, task.index))
        for i, path in enumerate(input_files, start=len(ref_files)):
            name = _output_name(i, path)
            dirs = dirs_of[i]
            _join_parts([d / "kept.zst" for d in dirs], out / "kept" / f"{name}.jsonl.zst", empty_frame)
            _join_parts([d / "removed.zst" for d in dirs], out / "removed" / f"{name}.jsonl.zst",
                        empty_frame)
            _join_parts([d / "quarantine.jsonl" for d in dirs], out / "quarantine" / f"{name}.jsonl",
                        None)
        timings["write"] = time.monotonic() - t
    timings["total"] = time.monotonic() - t_start

    inp = results[n_ref:]
    nbytes = sum(r["bytes"] for r in inp)
    report: dict[str, Any] = {
        "input": sum(r["n"] + r["quarantined"] for r in inp),
        "kept": sum(w["kept"] for w in written),
        "removed": sum(w["removed"] for w in written),
        "quarantined": sum(r["quarantined"] for r in inp),
        "empty": sum(r["empty"] for r in inp),
        "empty_text": clusters["empty_text"],
        "reasons": clusters["reasons"],
        "contaminated_by_ngram": clusters["contaminated_by_ngram"],
        "clusters": clusters["clusters"],
        "pairs": clusters["pairs"],
        "against": {"files": ref_files, "documents": ref_count,
                    "quarantined": sum(r["quarantined"] for r in results[:n_ref])},
        "params": {**asdict(config), "mapping": dict(config.mapping) if config.mapping else None,
                   "workers": workers, "memory": memory_bytes},
        "inputs": input_files,
        "input_bytes": nbytes,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "mb_per_s": round(nbytes / 1e6 / max(timings["total"], 1e-9), 2),
    }
    if report["input"] != report["kept"] + report["removed"] + report["quarantined"]:
        raise AssertionError(f"dedup lost records: {report}")  # a bug, never a user error
    with atomic_write(out / "report.json") as f:
        f.write(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    shutil.rmtree(out / _WORK, ignore_errors=True)
    if progress is not False:
        log(f"dedup: {report['input']:,} records -> kept {report['kept']:,}, removed "
            f"{report['removed']:,} ({', '.join(f'{k} {v:,}' for k, v in report['reasons'].items())}), "
            f"quarantined {report['quarantined']:,} in {timings['total']:.1f}s")
    records = report["input"] - report["quarantined"]
    if records and report["empty_text"] == records:
        # Always said, even without progress output: it almost always means a mistyped --fields.
        log(f"dedup: warning: no record has any text in fields {', '.join(config.fields)}; "
            "nothing was compared (check --fields)")
    return report


def _build_ngram_index(work: str, ref_results: list[dict[str, Any]]) -> None:
    """Merge the references' n-grams (phase 1 output) into one sorted index for the workers."""
    from boostpack.deduplication.decontam import NgramIndex

    if (Path(work) / "ngram" / "ngram_refs.npy").exists():
        return
    hashes, refs = [], []
    offset = 0
    for i, r in enumerate(ref_results):
        d = _task_dir(work, i)
        hashes.append(np.fromfile(d / "ngrams.bin", dtype=np.uint64))
        refs.append(np.fromfile(d / "ngram_doc.bin", dtype=np.uint32) + np.uint32(offset))
        offset += r["n"]
    NgramIndex.build(np.concatenate(hashes), np.concatenate(refs)).save(Path(work) / "ngram")
