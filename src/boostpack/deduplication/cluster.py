"""Phase 2 of dedup, *cluster*: decide every input document (kept, or removed and why).

``Clustering.run`` applies these steps in order, over the sign files (``SignStore``):

1. ``exact_groups``: inputs whose normalized text has the same 128-bit hash form one group (the
   pairs come from sorting the hashes, as for LSH); a reference equal to an input contaminates it.
2. ``write_members``: one representative per exact group, and every reference, take part in LSH.
3. ``band_pairs``, one task per LSH band, on worker processes: the band's keys (phase 1 wrote
   them, ``SignStore.band``), candidate pairs from the sorted keys of the members
   (spilled to sorted runs past ``memory / workers``), and ``verify_pairs`` of every candidate:
   a pair is accepted when, with answers compared, its item keys agree
   (``itemkey.same_item``) and its signature Jaccard reaches the threshold. Only accepted pairs
   are written, with their similarity.
4. ``union_band``, band by band in this process: accepted input pairs are unioned, accepted
   reference pairs contaminate the input. Bands run in rounds (``band_rounds``: 1, 2, 4, 8...
   bands); before each round after the first this process writes every document's cluster
   root (``WorkDir.roots``, 4 B a document), and the round's band tasks skip input pairs
   already in one cluster: on near-duplicate-heavy data most pairs collide in most bands, and
   verifying each once per band cost ~5 µs a pair (two signature reads). Skipping a pair
   already joined leaves the components (those of the accepted pairs) as they are, and rounds
   that do not depend on the workers keep the counts the same for any number of them. This
   process never reads a signature.
5. ``settle_contamination``: exact copies inherit their group's; the n-gram rule adds more.
6. ``choose_kept`` (the rule: ``deduplication.keep``): the kept document of every cluster.
7. ``write_plan``: one plan file per input sign task (``deduplication.plan``), and the counts.

The union-find stays here, as the one place that sees every band. The report's ``pairs``
count ``candidate_pairs`` (all the bands' candidates), ``joined_pairs`` (skipped: already in
one cluster after the earlier rounds), ``verified_pairs`` (verified and accepted) and
``rejected_pairs`` (verified and not accepted).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from boostpack.deduplication.candidates import PairFinder
from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.decontam import Contamination
from boostpack.deduplication.itemkey import NO_ANSWER, answer_kind
from boostpack.deduplication.keep import (
    Decisions,
    assign_units,
    best_per_group,
    decide,
    mark_contaminated,
)
from boostpack.deduplication.plan import CONTAMINATED, EXACT, NEAR, write_plan
from boostpack.deduplication.sign import EMPTY_FLAG, UNSIGNED_FLAG, SignResult
from boostpack.deduplication.store import Layout, SignStore, layout
from boostpack.deduplication.unionfind import UnionFind
from boostpack.deduplication.verification import VERIFY_CHUNK, closeness, pair_keys, verify_pairs
from boostpack.deduplication.workdir import WorkDir, corrupt, read_array
from boostpack.errors import InvalidInput
from boostpack.runtime.atomic import atomic_write
from boostpack.runtime.executor import TaskRunner

# An accepted pair on disk: star centre, input, signature Jaccard (for references).
ACCEPTED = np.dtype([("a", "<u4"), ("b", "<u4"), ("sim", "<f4")])
# A band task verifies its candidates in batches of up to this share of its memory, each batch
# one gather in document order (a sweep of the signature files, not random reads).
_VERIFY_SHARE = 4
# Memory of this process in this phase at its peak, in the keep rule: its decide step takes
# 88 B/doc, and assign_units' similarity gathers ~2 KB per removed near copy, VERIFY_CHUNK
# pairs at a time (measured with tracemalloc on 0.1M and 0.4M documents of text dedup with
# references: 177 B/doc at both sizes, the gathers not yet at their bound). The exact sort's
# pair finder gets what the other steps leave of the budget, at least _MIN_PAIR_MEMORY.
_BYTES_PER_DOC = 88
_GATHER_BYTES_PER_PAIR = 2048


def _gather_bytes(total: int) -> int:
    """The keep rule's similarity gathers: one per removed near copy, VERIFY_CHUNK at a time."""
    return _GATHER_BYTES_PER_PAIR * min(total, VERIFY_CHUNK)
# While the band tasks run, this process holds the union-find, exact groups and contamination:
# 18 B/doc measured as above.
_BAND_PHASE_BYTES_PER_DOC = 20
_MIN_PAIR_MEMORY = 16 << 20  # a 500k-entry sort run
# LSH buckets of at most this many documents are paired whole, not as stars
# (deduplication.candidates): item keys and the sketch of long answers make the test of a pair
# non-transitive. Most buckets are this small; a bucket of 8 makes 28 pairs instead of 7.
BUCKET_CLIQUE = 8
# report.json lists this many of the largest clusters, each with this many removed members.
LARGEST_CLUSTERS, CLUSTER_SAMPLE = 5, 3


def band_rounds(bands: int) -> list[range]:
    """The bands of each round of band tasks (``Clustering.run``): 1, then 2, 4, 8... The first
    round verifies every candidate of its bands, later ones only pairs the earlier rounds left
    in different clusters, so a small first round verifies each true pair about once (a first
    round of 4 bands verified most of them 4 times: 0.52M verifications on the 300 MB benchmark
    of real QA, 88% duplicates) and the doubling keeps the rounds, each a pass over the roots
    and a wait for its slowest task, few (5 for 25 bands; 7 in rounds of 4 took as many band
    slots on 2 workers)."""
    out, first, size = [], 0, 1
    while first < bands:
        out.append(range(first, min(first + size, bands)))
        first, size = first + size, 2 * size
    return out


@dataclass(frozen=True)
class BandTask:
    """The accepted pairs of one LSH band, among the documents of ``WorkDir.members(source)``,
    from the band keys of ``source``: ``bands`` (every pair), or ``qbands`` (the question key
    alone mixed in, pairs with a reference only: see ``Clustering.question_members``)."""

    band: int
    work: WorkDir
    ref_count: int
    memory: int
    config: DedupConfig
    tasks: Layout = field(repr=False)
    source: str = "bands"
    joined: bool = False  # skip input pairs in one cluster by ``WorkDir.roots`` (see run)


def band_pairs(task: BandTask) -> dict[str, int]:
    """Write ``WorkDir.band_pairs(band, source)``: the band's accepted pairs (``ACCEPTED``
    records, in candidate order); return how many candidates it verified (``pairs``), skipped
    as already joined and accepted, and how many sort runs spilled to disk."""
    cfg = task.config
    store = SignStore(task.work, task.tasks, cfg.num_perm, cfg.bands)
    member = read_array(task.work.members(task.source), bool, store.total)
    roots = read_array(task.work.roots, np.uint32, store.total) if task.joined else None
    # The task's memory: the member flags and roots, a share for the verification batches,
    # the rest for the pair finder.
    verify_memory = task.memory // _VERIFY_SHARE
    held = store.total * (1 if roots is None else 5)
    finder = PairFinder(task.ref_count, max(task.memory - verify_memory - held, 1 << 20),
                        task.work.spill(task.band, task.source), clique=BUCKET_CLIQUE)
    refs_only = task.source != "bands"
    # A verified pair gathers two signatures and copies them once: 16 bytes per permutation.
    batch = max(verify_memory // (16 * cfg.num_perm), VERIFY_CHUNK)
    counts = {"pairs": 0, "joined": 0, "accepted": 0}
    band = store.question_band(task.band, cfg.rows) if refs_only else store.band(task.band)
    keys = ((first, k, member[first : first + len(k)]) for first, k in band)
    chunks = ((k[m], np.flatnonzero(m).astype(np.uint32) + np.uint32(first)) for first, k, m in keys)
    with atomic_write(task.work.band_pairs(task.band, task.source)) as f:
        pending: list[tuple[np.ndarray, np.ndarray]] = []
        size = 0
        for a, b in finder.pairs(chunks, size_hint=int(member.sum())):
            if refs_only:
                a, b = a[a < task.ref_count], b[a < task.ref_count]
            if roots is not None:
                todo = (a < task.ref_count) | (roots[a] != roots[b])
                counts["joined"] += len(a) - int(todo.sum())
                a, b = a[todo], b[todo]
            pending.append((a, b))
            size += len(a)
            if size >= batch:
                _write_accepted(f, store, pending, task, counts)
                pending, size = [], 0
        _write_accepted(f, store, pending, task, counts)
    return {**counts, "spilled_runs": finder.runs_spilled}


def _write_accepted(f: BinaryIO, store: SignStore, pending: list[tuple[np.ndarray, np.ndarray]],
                    task: BandTask, counts: dict[str, int]) -> None:
    """Verify the candidate pairs ``pending`` as one batch; write the accepted ones to ``f``."""
    if not pending:
        return
    a = np.concatenate([p[0] for p in pending])
    b = np.concatenate([p[1] for p in pending])
    ok, sim = verify_pairs(store, a, b, task.config, task.ref_count, chunk=len(a))
    out = np.empty(int(ok.sum()), dtype=ACCEPTED)
    out["a"], out["b"], out["sim"] = a[ok], b[ok], sim[ok]
    f.write(out.tobytes())
    counts["pairs"] += len(a)
    counts["accepted"] += len(out)


def read_accepted(work: WorkDir, band: int, total: int, source: str = "bands",
                  step: int = 1 << 20) -> Iterator[np.ndarray]:
    """The accepted pairs ``band_pairs`` wrote for ``band`` (of ``source``), ``ACCEPTED[k]`` a
    million at a time."""
    path = work.band_pairs(band, source)
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below; the generator may stop early)
    except FileNotFoundError:
        raise corrupt(path, "missing") from None
    with f:
        while data := f.read(step * ACCEPTED.itemsize):
            if len(data) % ACCEPTED.itemsize:
                raise corrupt(path, "ends inside a pair")
            pairs = np.frombuffer(data, dtype=ACCEPTED)
            if max(int(pairs["a"].max()), int(pairs["b"].max())) >= total:
                raise corrupt(path, f"a document number past the {total} documents")
            yield pairs


def _masked_chunks(keys: np.ndarray, mask: np.ndarray,
                   step: int = 1 << 20) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(keys, doc numbers) of the documents where ``mask`` is set, a million at a time."""
    for s in range(0, len(keys), step):
        docs = (np.flatnonzero(mask[s : s + step]) + s).astype(np.uint32)
        yield keys[docs], docs


def check_memory(total: int, memory: int) -> None:
    """``InvalidInput`` unless ``memory`` holds this phase's per-document state of ``total``
    documents and the smallest pair finder, naming the memory needed."""
    gathers = _gather_bytes(total)
    need = _BYTES_PER_DOC * total + gathers + _MIN_PAIR_MEMORY
    if memory < need:
        raise InvalidInput(
            f"memory budget of {memory / 2**20:,.0f} MiB is too small for {total:,} documents: "
            f"clustering keeps {_BYTES_PER_DOC} bytes per document in one process, plus "
            f"{(gathers + _MIN_PAIR_MEMORY) >> 20} MiB to compare and sort candidates; "
            "give --memory "
            f"{-(-need // 2**20):,}M or more")


class Clustering:
    """Phase 2 of one run (module docstring). The per-document state lives on ``self`` while
    steps need it, and each step drops what later ones do not, so the peak stays near
    ``_BYTES_PER_DOC`` per document (``check_memory``)."""

    def __init__(self, work: WorkDir, results: list[SignResult], ref_count: int,
                 config: DedupConfig, memory: int, runner: TaskRunner) -> None:
        self.work, self.results, self.ref_count = work, results, ref_count
        self.config, self.memory, self.runner = config, memory, runner
        self.store = SignStore(work, layout(results), config.num_perm, config.bands)
        self.total = total = self.store.total
        if total >= 0xFFFFFFFF:
            raise InvalidInput(f"{total} documents exceed the 2^32-1 a single dedup run supports")
        self.uf = UnionFind(total)
        self.contamination = Contamination(total if ref_count else 0)
        self.exact_first = np.arange(total, dtype=np.uint32)  # each document's exact group
        self.stats = {"exact_pairs": 0, "candidate_pairs": 0, "joined_pairs": 0,
                      "verified_pairs": 0, "rejected_pairs": 0, "spilled_runs": 0}

    def run(self) -> dict[str, Any]:
        """Decide every input document, write the plan; return the counts for the report."""
        check_memory(self.total, self.memory)
        self.store.check_sizes(keys=self.config.compares_answers)
        empty = self.exact_groups()
        empty_text = int(empty[self.ref_count :].sum())
        self.write_members(empty)
        del empty
        for source in ("bands", "qbands") if self.question_members() else ("bands",):
            for bands in band_rounds(self.config.bands):
                self.band_round(source, bands)
        by_ngram = self.settle_contamination()
        decisions = self.choose_kept()
        self.write_plan(decisions)
        return self.summary(decisions, empty_text, by_ngram)

    def band_round(self, source: str, bands: range) -> None:
        """The round of ``bands`` of ``source``: their tasks, then their accepted pairs into the
        union-find (module docstring, step 4)."""
        # Question-key bands pair references only, which are never skipped: no roots needed.
        joined = bands.start > 0 and source == "bands"
        if joined:
            with atomic_write(self.work.roots) as f:
                f.write(self.uf.roots().tobytes())
        tasks = [BandTask(b, self.work, self.ref_count, self.band_memory(), self.config,
                          self.store.tasks, source, joined) for b in bands]
        for band, result in zip(bands, self.runner.run(band_pairs, tasks, self.work.markers(source)),
                                strict=True):
            self.stats["candidate_pairs"] += result["pairs"] + result["joined"]
            self.stats["joined_pairs"] += result["joined"]
            self.stats["verified_pairs"] += result["accepted"]
            self.stats["rejected_pairs"] += result["pairs"] - result["accepted"]
            self.stats["spilled_runs"] += result["spilled_runs"]
            self.union_band(band, source)

    def band_memory(self) -> int:
        """The memory of each band task: what this process leaves of the budget, shared by the
        tasks that run at once."""
        left = self.memory - _BAND_PHASE_BYTES_PER_DOC * self.total
        return max(left // self.runner.workers, _MIN_PAIR_MEMORY)

    def exact_groups(self) -> np.ndarray:
        """Union each input with the first input of its exact group (``exact_first``), record
        references' exact copies; return ``empty bool[total]`` (no text to compare)."""
        empty = (self.store.column("flags.bin", np.uint8) & EMPTY_FLAG) != 0
        left = self.memory - _BYTES_PER_DOC * self.total - _gather_bytes(self.total)
        finder = PairFinder(self.ref_count, max(left, _MIN_PAIR_MEMORY),
                            self.work.spill())
        # The first 64 bits are the bucket key, the other 64 confirm.
        exact = self.store.column("exact.bin", np.uint64, 2)
        for a, b in finder.pairs(_masked_chunks(exact[:, 0], ~empty), size_hint=self.total):
            ok = exact[a, 1] == exact[b, 1]
            a, b = a[ok], b[ok]
            ref = a < self.ref_count
            if ref.any():
                self.contamination.exact(a[ref], b[ref])
                a, b = a[~ref], b[~ref]
            self.exact_first[b] = a  # the star centre is the group's smallest input
            self.uf.union(a, b)
            self.stats["exact_pairs"] += len(a)
        self.stats["spilled_runs"] += finder.runs_spilled
        return empty

    def write_members(self, empty: np.ndarray) -> None:
        """Near duplicates are searched over one representative per exact group, among the
        documents with a signature."""
        member = ~empty & ((self.store.column("flags.bin", np.uint8) & UNSIGNED_FLAG) == 0)
        rc = self.ref_count
        member[rc:] &= self.exact_first[rc:] == np.arange(rc, self.total, dtype=np.uint32)
        with atomic_write(self.work.members()) as f:
            f.write(member.tobytes())

    def question_members(self) -> bool:
        """Write the members of the question-key bands, the references without an answer and
        the inputs of ``write_members``; False (nothing to do) when every reference has one.
        With item keys in the band keys (``itemkey.band_mix``) such a reference would only meet
        inputs without an answer, so it is matched through the question key alone."""
        rc = self.ref_count
        if not self.config.compares_answers or not sum(r["unanswered"] for r in self.results if r["ref"]):
            return False
        member = read_array(self.work.members(), bool, self.total)
        member[:rc] &= answer_kind(self.store.keys(np.arange(rc, dtype=np.uint32))) == NO_ANSWER
        with atomic_write(self.work.members("qbands")) as f:
            f.write(member.tobytes())
        return True

    def union_band(self, band: int, source: str = "bands") -> None:
        """Union the band's accepted input pairs, record its accepted reference pairs as
        contamination."""
        for pairs in read_accepted(self.work, band, self.total, source):
            a, b = pairs["a"], pairs["b"]
            ref = a < self.ref_count
            if ref.any():
                self.contamination.near(a[ref], b[ref], pairs["sim"][ref])
            self.uf.union(a[~ref], b[~ref])

    def settle_contamination(self) -> int:
        """Exact copies inherit their group's contamination; then the n-gram rule. Returns the
        inputs the n-gram rule alone flagged."""
        if self.ref_count:
            self.contamination.inherit(self.exact_first)
        if not self.config.decontam_ngram:
            return 0
        first_input_task = sum(r["ref"] for r in self.results)  # not from offsets: a task may be empty
        ng_ref = self.store.column("ngram_ref.bin", np.int64, first_task=first_input_task)
        ng_sim = self.store.column("ngram_sim.bin", np.float32, first_task=first_input_task)
        return self.contamination.ngram(ng_ref, ng_sim, self.ref_count)

    def choose_kept(self) -> Decisions:
        """The keep rule over the final clusters; contaminated inputs are never kept nor a
        cluster's representative."""
        total, rc = self.total, self.ref_count
        roots = self.uf.roots()
        del self.uf
        c_docs, c_ref, c_sim = self.contamination.sparse()
        del self.contamination
        contaminated = np.zeros(total, dtype=bool)
        contaminated[c_docs] = True
        score = None
        if self.config.keep != "first" or self.config.keep_max:
            score = self.store.column("score.bin", np.float64)
        cand = (np.flatnonzero(~contaminated[rc:]) + rc).astype(np.uint32)
        del contaminated
        # A unit is one exact group, represented by its best member; clustering acts on units.
        rep_of_exact = best_per_group(cand, self.exact_first, score, total)
        unit_of = rep_of_exact[self.exact_first[cand]]
        del rep_of_exact
        units = cand[unit_of == cand]
        kept_unit, sim_unit, label = assign_units(
            self.keep_closeness, units, roots, score, total,
            self.config.threshold if self.config.verify else None)
        del score, roots
        decisions = decide(total, cand, unit_of, units, kept_unit, sim_unit, label, self.exact_first)
        mark_contaminated(decisions, c_docs, c_ref, c_sim, rc)
        self.contaminated_by = c_ref[c_docs >= rc]
        return decisions

    def keep_closeness(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``closeness`` of the keep rule's pairs (a member, its cluster's kept document). A
        pair that a band task accepted takes the similarity computed there, read back from its
        band's pairs file (12 bytes a pair), instead of two signature reads (~3 us): 99% of
        them on the 300 MB benchmark (56.0k of 56.6k), 0.3 s of this process's serial time."""
        sim = np.full(len(a), np.nan, dtype=np.float32)
        if len(a):
            want = pair_keys(a, b)
            order = np.argsort(want, kind="stable")
            ranked = want[order]
            for band in range(self.config.bands):
                for pairs in read_accepted(self.work, band, self.total):
                    keys = pair_keys(pairs["a"], pairs["b"])
                    at = np.minimum(np.searchsorted(ranked, keys), len(ranked) - 1)
                    hit = ranked[at] == keys
                    sim[order[at[hit]]] = pairs["sim"][hit]
        rest = np.flatnonzero(np.isnan(sim))
        sim[rest] = closeness(self.store, a[rest], b[rest], self.config)
        return sim

    def write_plan(self, decisions: Decisions) -> None:
        offsets = self.store.offsets
        for i in range(len(self.results)):
            lo, hi = int(offsets[i]), int(offsets[i + 1])
            if lo < self.ref_count:
                continue
            write_plan(self.work.plan(i), decisions.action[lo:hi], decisions.dup_of[lo:hi],
                       decisions.similarity[lo:hi])

    def summary(self, decisions: Decisions, empty_text: int, by_ngram: int) -> dict[str, Any]:
        counts = np.bincount(decisions.action[self.ref_count :], minlength=4)
        sizes = decisions.sizes
        hist = np.bincount(sizes)
        ref_tasks = sum(r["ref"] for r in self.results)
        by_task = np.searchsorted(self.store.offsets, self.contaminated_by, side="right") - 1
        return {
            "contaminated_by_ref_task": np.bincount(by_task, minlength=ref_tasks).tolist(),
            "largest_clusters": largest_clusters(decisions),
            "reasons": {"exact": int(counts[EXACT]), "near": int(counts[NEAR]),
                        "contaminated": int(counts[CONTAMINATED])},
            "contaminated_by_ngram": by_ngram,
            "clusters": {
                "duplicate_clusters": int((sizes > 1).sum()),
                "largest": int(sizes.max()) if len(sizes) else 0,
                "size_histogram": {str(k): int(v) for k, v in enumerate(hist) if v},
            },
            "pairs": self.stats,
            "empty_text": empty_text,
        }


def largest_clusters(decisions: Decisions, count: int = LARGEST_CLUSTERS,
                     sample: int = CLUSTER_SAMPLE) -> list[dict[str, Any]]:
    """The ``count`` largest clusters of duplicates, largest first (ties: the smaller kept
    document): ``size``, the ``kept`` document and ``members``, the first ``sample`` removed."""
    dup = (decisions.action == EXACT) | (decisions.action == NEAR)
    kept, sizes = np.unique(decisions.dup_of[dup], return_counts=True)
    top = np.lexsort((kept, -sizes))[:count]
    removed = np.flatnonzero(dup)
    out = []
    for k in top.tolist():
        members = removed[decisions.dup_of[removed] == kept[k]][:sample]
        out.append({"size": int(sizes[k]) + 1, "kept": int(kept[k]), "members": members.tolist()})
    return out


def cluster(work: WorkDir, results: list[SignResult], ref_count: int, config: DedupConfig,
            memory: int, runner: TaskRunner) -> dict[str, Any]:
    """Phase 2: decide every input document; write ``plan/<task>.bin`` files; return stats."""
    return Clustering(work, results, ref_count, config, memory, runner).run()
