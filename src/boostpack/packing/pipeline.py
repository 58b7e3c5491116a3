"""``boostpack.pack``: read records → render → tokenize → pack → shards, streaming.

Two drivers, with the same output byte for byte:

- ``threads`` (``workers`` ≤ 1, or a single input file): one process; the calling thread reads,
  a thread encodes, a thread packs and writes.
- ``processes`` (``workers`` = N > 1 with several input files): N worker processes tokenize
  whole files into spools; the main process packs them in input order.

Memory is bounded by the batch size, the packing window and one shard's index. The output
depends only on the inputs and the ``PackConfig``, never on ``workers`` or timing: documents are
numbered in input order and the packer's windows are a function of the document stream.

The output directory is claimed first (``runtime.outdir``): one run at a time, a finished
dataset of other inputs or options refused unless ``overwrite``, an unfinished one restarted.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import Batch, ReadOptions, expand_inputs, read_batches
from boostpack.packing.config import (
    DEFAULT_SEQ_LEN,
    DEFAULT_SHARD_SIZE,
    DEFAULT_WINDOW,
    Engine,
    PackConfig,
    Strategy,
)
from boostpack.packing.documents import BATCH_LINES
from boostpack.packing.job import PackJob
from boostpack.packing.output import OUTPUT, source_entry
from boostpack.packing.processes import pack_processes
from boostpack.packing.threads import pack_threads
from boostpack.packing.tokenization import set_threads
from boostpack.runtime.executor import resolve_workers
from boostpack.runtime.outdir import claim, file_states


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
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    requests: Sequence[str | os.PathLike[str]] = (),
    progress: bool | None = None,
    config: PackConfig | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Tokenize and pack ``inputs`` (files or directories of JSONL / JSONL.zst / Parquet) into a
    packed dataset at ``output_dir`` (format: ``docs/format.md``); return the summary.

    The options are a ``PackConfig``: pass ``config=PackConfig(...)``, or its fields as
    keywords (not both). ``seq_len`` tokens per sequence; ``strategy`` ``bestfit|concat|pad``;
    ``template`` ``qa|qa+reasoning|text|chat``; BOS/EOS from the tokenizer unless switched off;
    ``pad_id`` defaults to the tokenizer's pad token, else EOS, else 0. ``shard_size`` bounds
    each token file (``1G``); ``window``: documents per best-fit window;
    ``fmt``/``mapping``/``strict``/``requests`` control reading (``ReadOptions``).
    ``workers``: cores to use; with several input files, N > 1 worker processes each tokenize
    whole files, otherwise one process with N tokenizer threads (default:
    ``$BOOSTPACK_WORKERS``, else all cores). ``progress``: None draws a progress line only
    when stderr is a terminal. ``overwrite``: replace a finished dataset made from other
    inputs or options (else refused).
    """
    files = expand_inputs(inputs)
    if not files:
        raise InvalidInput("no input files")
    reading = {"fmt": fmt, "mapping": mapping, "strict": strict, "requests": tuple(requests)}
    job = PackJob.resolve(_config(config, tokenizer, reading, seq_len=seq_len,
                                  strategy=strategy, template=template, add_bos=add_bos,
                                  add_eos=add_eos, pad_id=pad_id, shard_size=shard_size,
                                  tokenizer_engine=tokenizer_engine, window=window))
    workers = resolve_workers(workers)
    with claim(output_dir, stage=OUTPUT, fingerprint=_fingerprint(job, file_states(files)),
               overwrite=overwrite):
        if workers > 1 and len(files) > 1:
            return pack_processes(files, Path(output_dir), job, workers, progress)
        return _pack_in_threads(files, Path(output_dir), job, workers, progress)


def _pack_in_threads(files: list[str], out: Path, job: PackJob, workers: int,
                     progress: bool | None) -> dict[str, Any]:
    set_threads(workers)
    sources: list[dict[str, Any]] = []

    def batches() -> Iterator[tuple[int, Batch]]:
        for index, path in enumerate(files):
            sources.append(source_entry(path))
            # Decompression on its own thread: the main thread's reading is this mode's
            # bottleneck, and the encoder leaves a core idle most of the time.
            for batch in read_batches(path, job.config.read, BATCH_LINES, read_ahead=True):
                yield index, batch

    return pack_threads(batches(), out, job, sources, progress)


def pack_batches(
    batches: Iterable[tuple[int, Batch]],
    output_dir: str | os.PathLike[str],
    *,
    sources: list[dict[str, Any]],
    tokenizer: str | os.PathLike[str] | None = None,
    seq_len: int = DEFAULT_SEQ_LEN,
    strategy: Strategy = "bestfit",
    template: str = "qa",
    add_bos: bool = True,
    add_eos: bool = True,
    pad_id: int | None = None,
    shard_size: str | int = DEFAULT_SHARD_SIZE,
    tokenizer_engine: Engine = "auto",
    window: int = DEFAULT_WINDOW,
    progress: bool | None = None,
    config: PackConfig | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """The pipeline after reading: ``(source number, Batch)`` pairs in input order → dataset.

    For callers already holding record batches (a benchmark, another stage). ``sources[i]``
    describes input ``i`` (``output.source_entry``: path, bytes, xxh3) and must exist by the
    time its first batch arrives; its ``records`` and ``documents`` are filled in. Options as
    for ``pack`` (a config's ``read`` options are unused: the batches are read already).
    Batches in memory cannot be compared with an earlier run's, so a finished dataset in
    ``output_dir`` is replaced only with ``overwrite``.
    """
    job = PackJob.resolve(_config(config, tokenizer, None, seq_len=seq_len, strategy=strategy,
                                  template=template, add_bos=add_bos, add_eos=add_eos,
                                  pad_id=pad_id, shard_size=shard_size,
                                  tokenizer_engine=tokenizer_engine, window=window))
    unique = {"batches": os.urandom(16).hex()}  # never the fingerprint of an earlier run
    with claim(output_dir, stage=OUTPUT, fingerprint=_fingerprint(job, unique),
               overwrite=overwrite):
        return pack_threads(batches, Path(output_dir), job, sources, progress)


def _fingerprint(job: PackJob, inputs: Any) -> dict[str, Any]:
    """What a dataset depends on: its inputs, the options (a dataclass, as JSON) and the
    tokenizer's content."""
    return {"inputs": inputs, "config": job.config,
            "requests": file_states(job.config.read.requests),
            "tokenizer": job.info.sha256, "chat_template": job.info.chat_template}


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
    defaults = {f.name: f.default for f in (*fields(PackConfig), *fields(ReadOptions))}
    given = {**options, **(reading or {})}
    mixed = [name for name, value in given.items() if value != defaults[name]]
    if tokenizer is not None:
        mixed.insert(0, "tokenizer")
    if mixed:
        raise InvalidInput(f"pass options in config or as keywords, not both (got config and "
                           f"{', '.join(mixed)})")
    return config
