"""``boostpack.pack``: inputs -> tasks (read, render, tokenize, pack, write their own shards) ->
one dataset (``join``), resumable.

1. The engine verdict (``engines``): which encoder, and whether documents may be cut; stored per
   tokenizer file, so usually no second tokenizer is loaded at all.
2. The plan (``tasks.plan_tasks``): tasks of about ``task_bytes`` of input, a function of the
   inputs and the config alone.
3. The tasks run on a ``runtime.executor.TaskRunner`` (``_runner``): one after another in this
   process with every core given to the engine when the input takes the fast lane (each one
   starting as the one before finishes reading), else on local worker processes, or on the
   ``backend`` given; each task writes its files under ``OUT/.work``, a finished task leaves
   a marker, and a rerun after a kill skips it.
4. ``join`` renumbers and gathers the tasks' files and writes ``manifest.json`` last.

The output depends only on the inputs and the ``PackConfig``, never on ``workers``, the backend
or timing.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import orjson

from boostpack._version import __version__
from boostpack.errors import InvalidInput
from boostpack.format.manifest import FORMAT_VERSION
from boostpack.ingestion.readers import ReadOptions, expand_inputs
from boostpack.packing import engines
from boostpack.packing.config import (
    DEFAULT_MAX_RECORD_BYTES,
    DEFAULT_SEQ_LEN,
    DEFAULT_SHARD_SIZE,
    DEFAULT_TASK_BYTES,
    DEFAULT_WINDOW,
    Engine,
    PackConfig,
    Strategy,
)
from boostpack.packing.fastlane import FastLane
from boostpack.packing.job import PackJob
from boostpack.packing.join import join
from boostpack.packing.output import OUTPUT, WORK_DIR, markers_dir, prepare_output, summary
from boostpack.packing.reading import InputPiece, ReadSetup, first_format, read_documents
from boostpack.packing.tasks import PackTask, plan_tasks, run_task
from boostpack.packing.tokenization import set_threads
from boostpack.runtime.allocator import keep_freed_memory
from boostpack.runtime.backends import Backend, LocalProcesses, Staggered
from boostpack.runtime.console import Progress, log
from boostpack.runtime.executor import TaskRunner, check_backend, open_runner, resolve_workers
from boostpack.runtime.outdir import claim

# The engine check compares on the input's first documents, up to 512 of them and 64 KB of
# text (~16k Llama-3 tokens): tokenizers runs at ~1-3 MB/s here.
_SAMPLE_DOCS = 512
_SAMPLE_BYTES = 1 << 16


def pack(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    tokenizer: str | os.PathLike[str] | None = None,
    seq_len: int = DEFAULT_SEQ_LEN,
    strategy: Strategy = "bestfit",
    template: str = "qa",
    add_bos: bool = True,
    add_eos: bool = True,
    pad_id: int | None = None,
    workers: int | None = None,
    shard_size: str | int = DEFAULT_SHARD_SIZE,
    tokenizer_engine: Engine = "auto",
    window: int = DEFAULT_WINDOW,
    loss_on: str = "all",
    max_record_bytes: str | int = DEFAULT_MAX_RECORD_BYTES,
    task_bytes: str | int = DEFAULT_TASK_BYTES,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    requests: Sequence[str | os.PathLike[str]] = (),
    progress: bool | None = None,
    config: PackConfig | None = None,
    backend: str | Backend = "local",
    ray_address: str | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Tokenize and pack ``inputs`` (files or directories of JSONL / JSONL.zst / Parquet) into a
    packed dataset at ``output_dir`` (format: ``docs/format.md``); return the summary.

    The options are a ``PackConfig``: pass ``config=PackConfig(...)``, or its fields as
    keywords (not both). ``seq_len`` tokens per sequence; ``strategy`` ``bestfit|concat|pad``;
    ``template`` ``qa|qa+reasoning|text|chat``; BOS/EOS from the tokenizer unless switched off;
    ``pad_id`` defaults to the tokenizer's pad token, else EOS, else 0. ``shard_size`` bounds
    each token file (``1G``); ``window``: documents per best-fit window; ``loss_on``
    ``all|answer``; ``max_record_bytes``: longer lines are quarantined as ``too_large``;
    ``task_bytes``: input per task; ``fmt``/``mapping``/``strict``/``requests`` control reading
    (``ReadOptions``). ``workers``: cores to use (default: ``$BOOSTPACK_WORKERS``, else all).
    ``backend``: ``local``; ``ray``, the tasks as Ray tasks on the cluster at ``ray_address``
    (else ``$RAY_ADDRESS``, else a Ray started for the run; inputs, tokenizer and
    ``output_dir`` on storage every node sees); or a ``runtime.backends.Backend``. The output
    is byte-identical whichever runs it.
    ``progress``: None shows progress on stderr unless turned off process-wide (``--quiet``).
    Rerunning into the output of an interrupted run with the same inputs and options resumes
    it; ``overwrite``: replace a finished dataset made from other inputs or options (else
    refused; one made from the same ones is rebuilt, the same bytes).
    """
    started = time.monotonic()
    keep_freed_memory()  # before this run's threads pick their arenas
    files = _check_inputs(inputs, backend, ray_address)
    reading = {"fmt": fmt, "mapping": mapping, "strict": strict, "requests": tuple(requests)}
    job = PackJob.resolve(_config(config, tokenizer, reading, seq_len=seq_len,
                                  strategy=strategy, template=template, add_bos=add_bos,
                                  add_eos=add_eos, pad_id=pad_id, shard_size=shard_size,
                                  tokenizer_engine=tokenizer_engine, window=window,
                                  loss_on=loss_on, max_record_bytes=max_record_bytes,
                                  task_bytes=task_bytes))
    out = _output_outside(Path(output_dir), files)
    plan = plan_tasks(files, job.config)
    verdict = engines.decide(job.tokenizer, job.config.tokenizer_engine,
                             _Sample(plan[0][0], job))
    if verdict.warning:
        log(f"boostpack pack: warning: {verdict.warning}")
    run = _fingerprint(job, files, verdict)
    with claim(out, stage=OUTPUT, fingerprint=orjson.loads(run), overwrite=overwrite) as resuming:
        prepare_output(out, run, resuming)
        runner, threads = _runner(workers, backend, ray_address, len(plan),
                                  _fast_lane_input(plan[0][0], job))
        with runner:
            runner.check_shared([*files, str(job.tokenizer),
                                 *map(str, job.config.read.requests)], out)
            tasks = [PackTask(i, pieces, job, verdict.engine, verdict.exact_cuts, str(out),
                              threads) for i, pieces in enumerate(plan)]
            results = _run_tasks(runner, tasks, out, progress)
        manifest = join(out, job, tasks, results, files, verdict.engine)
        shutil.rmtree(out / WORK_DIR, ignore_errors=True)
    input_bytes = sum(p["bytes_read"] for r in results for p in r["pieces"])
    return summary(out, manifest, input_bytes, time.monotonic() - started,
                   {"tasks": len(tasks), "workers": runner.workers, "execution": runner.usage()})


def _run_tasks(runner: TaskRunner, tasks: list[PackTask], out: Path,
               progress: bool | None) -> list[dict[str, Any]]:
    """Every task's result, in task order (a resumed run finds the finished ones' markers)."""
    results = []
    with Progress("pack", total=len(tasks), unit="tasks", enabled=progress) as bar:
        for result in runner.run(run_task, tasks, markers_dir(out)):
            results.append(result)
            bar.update(1, sum(p["bytes_read"] for p in result["pieces"]))
    return results


def _check_inputs(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                  backend: str | Backend, ray_address: str | None) -> list[str]:
    """The input files, and the backend settings checked, before any work."""
    if isinstance(backend, str):
        check_backend(backend, ray_address)
    files = expand_inputs(inputs)
    if not files:
        raise InvalidInput("no input files")
    return files


def _output_outside(out: Path, files: list[str]) -> Path:
    """``out``, refused when an input lies inside it (a rerun would read its own output)."""
    for p in files:
        if out.resolve() in Path(p).resolve().parents:
            raise InvalidInput(f"{p}: input is inside the output directory {out}")
    return out


class _Sample:
    """The first documents of the input, read only if the engine check needs them (a stored
    verdict does not)."""

    def __init__(self, piece: InputPiece, job: PackJob) -> None:
        self.piece, self.job = piece, job

    def __call__(self) -> list[str]:
        setup = ReadSetup(self.job.config, self.job.parts_renderer(), exact_cuts=False)
        batch = next(iter(read_documents(self.piece, setup)))
        data, bounds = batch.text.tobytes(), batch.seg_offsets[batch.doc_segs].tolist()
        texts: list[str] = []
        size = 0
        for a, b in itertools.islice(itertools.pairwise(bounds), _SAMPLE_DOCS):
            if texts and size + b - a > _SAMPLE_BYTES:
                break
            texts.append(data[a:b].decode("utf-8", "surrogatepass"))
            size += b - a
        return texts


def _fast_lane_input(piece: InputPiece, job: PackJob) -> bool:
    """Whether the input looks like it will go through the fast lane: the config allows it and
    the first file's first records are flat QA or text. Only where tasks run depends on it."""
    if FastLane.for_config(job.config) is None or piece.path.lower().endswith(".parquet"):
        return False
    if piece.fmt != "auto":
        return True
    fmt, _ = first_format(piece.path, job.config.read, int(job.config.max_record_bytes),
                          limit=1 << 20)
    return fmt in ("qa", "text", None)


def _runner(workers: int | None, backend: str | Backend, ray_address: str | None,
            n_tasks: int, fast_lane: bool) -> tuple[TaskRunner, int]:
    """The runner and the cores each task's engine may use. On a cluster (``backend="ray"``)
    every task is a cluster task with one engine thread, as many at once as the cluster has
    CPUs. Locally, tasks whose lines take the fast lane leave little to the Python thread, so
    they run in this process, one after another (a worker process would cost ~1 s of CPU to
    start and load the tokenizer, more than a 60 MB task takes here), the engine on every core
    but one: the task's own read and write threads keep about one core busy (per byte they
    take about twice the tokenizer's CPU), and an engine thread pool larger than the cores left spins
    on them (2 rayon threads on 2 cores: 7-13% more CPU for the run than one encode thread).
    In-process tasks are staggered (``runtime.backends.Staggered``): the next one starts
    reading once the one before has read its input, so the cores stay busy while a task
    drains its last batches and syncs its shards to disk (a task's drain and fsync took
    ~0.1 s of each ~1 s task, the engine idle). Otherwise (Python parses every line) as many
    tasks as cores run at once, on worker processes."""
    if not isinstance(backend, str):
        return TaskRunner(backend=backend), 1
    if backend != "local":
        return open_runner(backend, workers, ray_address=ray_address, label="pack"), 1
    cores = resolve_workers(workers)
    at_once = 1 if fast_lane else min(cores, n_tasks)
    chosen: Backend = Staggered() if at_once <= 1 else LocalProcesses(at_once)
    threads = max(1, cores - 1) if fast_lane else max(1, cores // max(1, at_once))
    set_threads(threads)
    return TaskRunner(backend=chosen), threads


def _fingerprint(job: PackJob, files: list[str], verdict: engines.Verdict) -> bytes:
    """What a resumed run must share with the interrupted one."""
    stamps = [[os.path.abspath(p), os.path.getsize(p), os.stat(p).st_mtime_ns] for p in files]
    return orjson.dumps({"config": repr(job.config), "tokenizer": job.info.sha256,
                         "inputs": stamps, "engine": verdict.engine,
                         "exact_cuts": verdict.exact_cuts, "format_version": FORMAT_VERSION,
                         "boostpack": __version__}, option=orjson.OPT_SORT_KEYS)


def _config(config: PackConfig | None, tokenizer: str | os.PathLike[str] | None,
            reading: dict[str, Any] | None, **options: Any) -> PackConfig:
    """``config``, or the ``PackConfig`` the keyword options make. Both at once is refused:
    one of them would be silently ignored."""
    if config is None:
        if tokenizer is None:
            raise InvalidInput("pack needs a tokenizer (tokenizer=... or config=PackConfig(...))")
        read = ReadOptions(**reading) if reading is not None else ReadOptions()
        return PackConfig(tokenizer, read=read, **options)
    if not isinstance(config, PackConfig):
        raise InvalidInput(f"config must be a PackConfig, got {type(config).__name__}")
    # PackConfig's own fields last: its max_record_bytes is the one a keyword sets.
    defaults = {f.name: f.default for f in (*fields(ReadOptions), *fields(PackConfig))}
    given = {**options, **(reading or {})}
    mixed = [name for name, value in given.items() if value != defaults[name]]
    if tokenizer is not None:
        mixed.insert(0, "tokenizer")
    if mixed:
        raise InvalidInput(f"pass options in config or as keywords, not both (got config and "
                           f"{', '.join(mixed)})")
    return config
