"""``dedup()``: exact + near-duplicate removal and benchmark decontamination, out of core.

Three phases, each resumable (see ``runtime.executor``), with all per-document state in numpy
arrays or files (at most 88 bytes per document plus 80 MiB in memory, checked against
``memory`` when phase 2 starts; the signatures on disk), each in its own module over one ``DedupConfig``
(``deduplication.config``):

1. ``sign`` — one task per split of a plain JSONL file (``split_bytes``) or per compressed or
   Parquet file, on worker processes: read, hash, write flat per-document files.
2. ``cluster`` — exact groups, then candidate pairs found and verified per LSH band (worker
   processes), unioned band by band, contamination, the keep rule: one plan file per sign task.
   The files only this phase reads are deleted while phase 3 runs.
3. ``write`` — one task per sign task, on worker processes: its part of ``kept/``,
   ``removed/`` and ``quarantine/``, appended to the input's output files as it comes.

Their files live in the work directory (``deduplication.workdir``), which a rerun into the same
output directory resumes from. ``report.json`` is written last; a directory without it is not a
finished result. Removed records: see ``deduplication.write`` for their layout.

Rules (documented promises, tested):
* Document numbers: references first, then inputs, in the order given (files) and line order.
* Exact: inputs whose normalized dedup text has the same 128-bit hash are one group; only the
  group's best member (by the keep rule) takes part in LSH. A removed document is ``exact`` when
  an identical copy ranks ahead of it (what an exact-only pass would remove), else ``near``;
  ``dup_of`` is always the document kept in its place.
* Near: a candidate pair (two documents sharing an LSH bucket, paired with every other member
  of a bucket of at most 8, else with the bucket's smallest member) is unioned only if its signature Jaccard is >= ``threshold``, so a chance bucket
  collision never glues two clusters together. Then every member is checked against its
  cluster's kept document: one below the threshold (it joined through a chain of verified
  pairs) leaves with the others like it to form a new cluster, where the same rule applies,
  until every removed document has signature Jaccard >= ``threshold`` with the one kept in its
  place (its ``similarity``; 1.0 for an identical copy). With ``verify=False`` every candidate
  pair is unioned and components are the clusters (classic LSH; similarity is still reported).
* QA items (``answer`` among ``fields``, ``answer_check`` on): a near or exact pair is also one
  item, with the same question numbers and agreeing answers (``deduplication.itemkey``); the
  signature covers the question only, without the corpus's boilerplate shingles
  (``deduplication.boilerplate``). A reference without an answer agrees with any answer.
* Contamination: an input exactly equal to, or a verified near pair of, a reference document —
  or, in n-gram mode, sharing a word n-gram (or ``decontam_min_overlap`` of its n-grams) with
  one — is removed as ``contaminated``; ``dup_of`` names the closest reference (ties: the first).
  Exact copies of a contaminated input are contaminated too. Contaminated inputs are never kept
  and never chosen as a cluster's representative.
  A reference file that indexes no document, or whose lines are mostly unreadable, stops the
  run (``deduplication.references``).
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
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from boostpack.deduplication import checks, references, workdir
from boostpack.deduplication.boilerplate import boilerplate
from boostpack.deduplication.cluster import cluster
from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.settings import WORKER_MODULES, check_int
from boostpack.deduplication.sign import SignResult, SignTask, build_ngram_index, sign_task
from boostpack.deduplication.workdir import WorkDir
from boostpack.deduplication.write import (
    PartJoin,
    WriteTask,
    empty_output,
    output_name,
    removed_line,
    write_task,
)
from boostpack.errors import InvalidInput
from boostpack.runtime.atomic import atomic_write
from boostpack.runtime.executor import TaskRunner, check_backend, open_runner
from boostpack.runtime.outdir import StageOutput, claim, file_states
from boostpack.runtime.peaks import PhaseClock, children_peak_rss, peak_rss
from boostpack.runtime.sizes import parse_size

__all__ = ["DedupConfig", "dedup", "removed_line"]

# Phase 1 task size for plain inputs (see boostpack.ingestion.splits). 32 MB is ~1 s of work per
# task; 64 MB made 300 MB into 5 tasks, 3 of them on one of 2 workers.
_SPLIT_BYTES = 32 << 20
_PARTS = ("kept.zst", "removed.zst", "quarantine.jsonl")  # a write task's, in PartJoin order
OUTPUT = StageOutput("dedup", finished="report.json",
                     names=(*workdir.OUTPUT_DIRS, workdir.WORK_DIR, "report.json"), resumes=True)


def dedup(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    config: DedupConfig | None = None,
    against: Sequence[str | os.PathLike[str]] = (),
    workers: int | None = None,
    memory: str | int = "4G",
    batch_lines: int = 8192,
    split_bytes: int = _SPLIT_BYTES,
    progress: bool | None = None,
    backend: str = "local",
    ray_address: str | None = None,
    overwrite: bool = False,
    **settings: Any,
) -> dict[str, Any]:
    """Deduplicate ``inputs`` into ``output_dir`` (``kept/``, ``removed/``, ``quarantine/``,
    ``report.json``); return the report. See the module docstring for the rules.

    The settings come as ``config=DedupConfig(...)`` or as its keyword arguments
    (``threshold=0.7, fields="question"``, and ``fmt``, ``mapping``, ``strict``, ``requests``
    for the ``ReadOptions``), not both; unset ones take the measured defaults
    (``deduplication.config``).
    ``against``: reference files (e.g. benchmark test sets) to decontaminate against.
    ``workers``: processes for the read/sign and write phases (default:
    ``$BOOSTPACK_WORKERS``, else all cores);
    ``memory``: budget for the clustering phase (``"4G"``): its per-document arrays must fit
    (else ``InvalidInput`` naming the memory needed), and candidate sorting spills to disk past
    what they leave. Neither changes the output. Rerunning into the same ``output_dir`` after an
    interruption resumes.
    ``split_bytes``: plain JSONL inputs are read in tasks of about this many bytes (rounded up
    to a multiple of ``frame_bytes``), so one big file keeps every worker busy; it never
    changes the output, nor does ``batch_lines`` (records parsed and hashed at a time).
    ``backend``: where the tasks run, ``local`` or ``ray`` (Ray Core tasks on the cluster at
    ``ray_address``, else ``$RAY_ADDRESS``, else a Ray started for the run; ``workers`` then
    defaults to the cluster's CPUs; inputs and ``output_dir`` on storage every node sees). The
    output is byte-identical either way. ``progress``: per-phase progress on stderr (None:
    unless turned off process-wide, as ``--quiet`` does). ``overwrite``: replace a finished
    dedup output made from other inputs or settings (else refused; the output directory is
    claimed first, ``runtime.outdir``: one run at a time).
    """
    t_start = time.monotonic()
    config = _settings(config, settings)
    split_bytes = check_int("split_bytes", split_bytes)
    # Splits must start on frame boundaries for the frames not to depend on the split.
    split_bytes = -(-split_bytes // config.frame_bytes) * config.frame_bytes
    memory_bytes = parse_size(memory, "memory budget", minimum=64 << 20)
    batch_lines = check_int("batch_lines", batch_lines)
    check_backend(backend, ray_address)
    input_files, ref_files, out = _check_paths(inputs, against, output_dir, config)
    fingerprint = {"config": config.params(), "inputs": file_states(input_files),
                   "against": file_states(ref_files), "requests": file_states(config.read.requests)}
    with claim(out, stage=OUTPUT, fingerprint=fingerprint, overwrite=overwrite):
        # One set of workers for all phases: spawning a local process costs ~0.5 s.
        with open_runner(backend, workers, ray_address=ray_address, progress=progress,
                         label="dedup") as runner:
            runner.check_shared([*ref_files, *input_files, *config.read.requests], out)
            work = workdir.prepare(out, workdir.fingerprint(config.params(), input_files,
                                                            ref_files, split_bytes))
            report = _run(runner, work, out, input_files, ref_files, config, memory_bytes,
                          split_bytes, batch_lines)
        total = time.monotonic() - t_start
        report["timings"]["total"] = round(total, 3)
        report["mb_per_s"] = round(report["input_bytes"] / 1e6 / max(total, 1e-9), 2)
        with atomic_write(out / "report.json") as f:
            f.write(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
                    + b"\n")
        workdir.remove(out)
    if report["warnings"]:
        from boostpack.runtime.console import log

        # Said even without progress output: each one almost always means a wrong setting.
        for line in report["warnings"]:
            log(f"dedup: warning: {line}")
    return report


def _run(runner: TaskRunner, work: WorkDir, out: Path, input_files: list[str],
         ref_files: list[str], config: DedupConfig, memory: int, split_bytes: int,
         batch_lines: int) -> dict[str, Any]:
    """The three phases on ``runner``; the report without the total time."""
    runner.warm(*WORKER_MODULES)
    started = {p: workdir.file_stat(p) for p in input_files}  # phase 3 re-reads splits of the inputs
    tasks, file_of = _sign_tasks(ref_files, input_files, work, config, split_bytes, batch_lines)
    n_ref = sum(t.is_ref for t in tasks)
    clock = PhaseClock()
    _boilerplate_once(work, input_files, ref_files, config)
    results = _sign_all(runner, tasks, n_ref, work, config, ref_files, file_of)
    clock.lap("read_sign")
    scratch = [workdir.scratch_bytes(work)]  # at each phase's end: the peaks, but for spills

    clock.start()
    clusters = _cluster_once(work, results, n_ref, config, memory, runner, scratch)
    clock.lap("cluster")

    # Deleting phase 2's files (~800 MB a million documents) waits on the file system, not on
    # the CPU: done meanwhile.
    with _meanwhile(workdir.drop_cluster_files, work, len(results)):
        written = _write_all(runner, work, out, tasks[n_ref:], results, file_of, started,
                             input_files, len(ref_files), checks.sample_docs(clusters), config,
                             scratch)
    clock.lap("write")
    report = _report(config, results, n_ref, written, clusters, input_files, ref_files,
                     runner, memory, clock.wall)
    # CPU per phase across the local worker pool (Ray's workers are on other machines).
    phase_cpu = clock.cpu if report["execution"]["backend"] == "local" else None
    report["execution"].update(peak_scratch_bytes=max(scratch), peak_rss_parent=peak_rss(),
                               peak_rss_worker=children_peak_rss(), phase_cpu=phase_cpu)
    report["largest_clusters"] = checks.cluster_samples(clusters, written, work, results)
    report["against"]["per_file"] = references.per_file(results, file_of, ref_files)
    references.add_removed(report["against"]["per_file"], clusters["contaminated_by_ref_task"],
                           file_of)
    report["warnings"] = checks.warnings(report, config)
    return report


def _settings(config: DedupConfig | None, settings: dict[str, Any]) -> DedupConfig:
    if config is None:
        return DedupConfig.from_settings(**settings)
    if settings:
        raise TypeError(f"dedup() takes config= or settings, not both (got {', '.join(settings)})")
    if not isinstance(config, DedupConfig):
        raise InvalidInput(f"config must be a DedupConfig, got {type(config).__name__}")
    return config


def _check_paths(inputs: Any, against: Sequence[str | os.PathLike[str]], output_dir: Any,
                 config: DedupConfig) -> tuple[list[str], list[str], Path]:
    """The input and reference files, and the output directory, checked before any work."""
    from boostpack.ingestion.readers import expand_inputs

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
    return input_files, ref_files, out


def _sign_tasks(ref_files: list[str], input_files: list[str], work: WorkDir, config: DedupConfig,
                split_bytes: int, batch_lines: int) -> tuple[list[SignTask], list[int]]:
    """The sign tasks, references first, a task per split of a plain file; and each task's
    file number (references first)."""
    from boostpack.ingestion.splits import plan_splits, splittable

    tasks: list[SignTask] = []
    file_of: list[int] = []
    for i, (p, is_ref) in enumerate([(p, True) for p in ref_files] + [(p, False) for p in input_files]):
        options = config.against_read if is_ref else config.read
        splits = plan_splits(p, options, split_bytes) if splittable(p) else [None]
        for split in splits:
            tasks.append(SignTask(len(tasks), p, is_ref, work, config, split, batch_lines))
            file_of.append(i)
    return tasks, file_of


def _task_bytes(task: SignTask | WriteTask) -> int:
    """The input bytes a sign or write task covers (for progress)."""
    return task.split.end - task.split.start if task.split else os.path.getsize(task.path)


def _sign_all(runner: TaskRunner, tasks: list[SignTask], n_ref: int, work: WorkDir,
              config: DedupConfig, ref_files: list[str], file_of: list[int]
              ) -> list[SignResult]:
    """Phase 1: the references first (the inputs' n-gram matching needs their index, and a
    reference file that indexes nothing stops the run here)."""
    results = list(runner.run(sign_task, tasks[:n_ref], work.markers("sign"),
                              desc="dedup: read+sign references", weight=_task_bytes))
    references.check_indexed(references.per_file(results, file_of, ref_files))
    if config.decontam_ngram:
        build_ngram_index(work, results, config)
    results += runner.run(sign_task, tasks[n_ref:], work.markers("sign"),
                          desc="dedup: read+sign", weight=_task_bytes)
    return results


def _boilerplate_once(work: WorkDir, input_files: list[str], ref_files: list[str],
                      config: DedupConfig) -> None:
    """The shingles every signature leaves out, from a sample of the files (unless a resumed
    run has them already)."""
    if config.boilerplate_df is None or work.boilerplate.exists():
        return
    common = boilerplate(input_files, ref_files, config)
    with atomic_write(work.boilerplate) as f:
        np.save(f, common)


def _cluster_once(work: WorkDir, results: list[SignResult], n_ref: int, config: DedupConfig,
                  memory: int, runner: TaskRunner, scratch: list[int]) -> dict[str, Any]:
    """Phase 2, unless a resumed run finished it (its counts are then in ``plan_done``; the
    files only it reads are deleted after it). Appends the scratch bytes at its end to
    ``scratch``."""
    clusters = workdir.read_json(work.plan_done)
    if clusters is None:
        ref_count = sum(r["n"] for r in results[:n_ref])
        clusters = cluster(work, results, ref_count, config, memory, runner)
        with atomic_write(work.plan_done) as f:
            f.write(orjson.dumps(clusters))
        scratch.append(workdir.scratch_bytes(work))
    return clusters


def _write_all(runner: TaskRunner, work: WorkDir, out: Path, input_tasks: list[SignTask],
               results: list[SignResult], file_of: list[int], started: dict[str, tuple[int, int]],
               input_files: list[str], n_ref_files: int, samples: tuple[int, ...],
               config: DedupConfig, scratch: list[int]) -> list[dict[str, Any]]:
    """Phase 3: the parts of every input task, each appended to its input's output files as it
    comes (``PartJoin``); the scratch bytes at the end appended to ``scratch``."""
    offsets = tuple(int(x) for x in np.concatenate(([0], np.cumsum([r["n"] for r in results]))))
    write_tasks = []
    line_base = 0
    for task in input_tasks:
        if task.index == 0 or file_of[task.index] != file_of[task.index - 1]:
            line_base = 0
        lo, hi = offsets[task.index], offsets[task.index + 1]
        write_tasks.append(WriteTask(task.index, task.path, work, task.split, started[task.path],
                                     line_base, tuple(results[task.index]["cuts"]), offsets,
                                     tuple(d for d in samples if lo <= d < hi), config.fields))
        line_base += results[task.index]["lines_read"]
    empty_frame = empty_output()
    parts_of = Counter(file_of[task.index] for task in input_tasks)
    written = []
    with contextlib.ExitStack() as stack:
        joins = {}  # per input file: its kept, removed and quarantine outputs
        for i, path in enumerate(input_files, start=n_ref_files):
            name, n = output_name(i, path), parts_of[i]
            joins[i] = [stack.enter_context(PartJoin(out / kind / f"{name}{suffix}", n, empty))
                        for kind, suffix, empty in (("kept", ".jsonl.zst", empty_frame),
                                                    ("removed", ".jsonl.zst", empty_frame),
                                                    ("quarantine", ".jsonl", None))]
        results_in_order = runner.run(write_task, write_tasks, work.markers("write"),
                                      desc="dedup: write", weight=_task_bytes)
        for task, result in zip(input_tasks, results_in_order, strict=True):
            written.append(result)
            d = work.task(task.index)
            for join, part in zip(joins[file_of[task.index]], _PARTS, strict=True):
                join.add(d / part)
    scratch.append(workdir.scratch_bytes(work))
    return written


@contextlib.contextmanager
def _meanwhile(fn: Callable[..., None], *args: Any) -> Iterator[None]:
    """Run ``fn(*args)`` on a thread while the block runs; an error it raised is raised after
    the block."""
    errors: list[BaseException] = []

    def call() -> None:
        try:
            fn(*args)
        except BaseException as exc:  # raised in the caller's thread below
            errors.append(exc)

    thread = threading.Thread(target=call, name=f"boostpack-{fn.__name__}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if errors:
        raise errors[0]


def _report(config: DedupConfig, results: list[SignResult], n_ref: int,
            written: list[dict[str, Any]], clusters: dict[str, Any], input_files: list[str],
            ref_files: list[str], runner: TaskRunner, memory: int,
            timings: dict[str, float]) -> dict[str, Any]:
    """``report.json``: counts that add up (checked), the settings, timings."""
    inp = results[n_ref:]
    nbytes = sum(r["bytes"] for r in inp)
    report: dict[str, Any] = {
        "input": sum(r["n"] + r["quarantined"] for r in inp),
        "kept": sum(w["kept"] for w in written),
        "removed": sum(w["removed"] for w in written),
        "quarantined": sum(r["quarantined"] for r in inp),
        "empty": sum(r["empty"] for r in inp),
        "empty_text": clusters["empty_text"],
        "unsigned": sum(r["n"] - r["signed"] for r in inp) - clusters["empty_text"],
        "field_coverage": checks.field_coverage(inp, config.fields),
        "reasons": clusters["reasons"],
        "contaminated_by_ngram": clusters["contaminated_by_ngram"],
        "clusters": clusters["clusters"],
        "pairs": clusters["pairs"],
        "against": {"files": ref_files, "documents": sum(r["n"] for r in results[:n_ref]),
                    "quarantined": sum(r["quarantined"] for r in results[:n_ref])},
        "params": {**config.params(), "workers": runner.workers, "memory": memory},
        "execution": runner.usage(),
        "inputs": input_files,
        "input_bytes": nbytes,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    if report["input"] != report["kept"] + report["removed"] + report["quarantined"]:
        raise AssertionError(f"dedup lost records: {report}")  # a bug, never a user error
    return report
