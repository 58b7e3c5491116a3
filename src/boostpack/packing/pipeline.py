"""``boostpack.pack``: read records → render → tokenize → pack → shards, streaming.

Two ways to run, with the same output byte for byte:

- one process (``workers`` ≤ 1, or a single input file): the main thread reads and renders
  batches of records; an encode thread tokenizes them (the engines' Rust thread pools use every
  core, GIL released) and frames documents with BOS/EOS; a write thread packs and writes. At
  most ``_IN_FLIGHT`` + 1 batches are in flight.
- ``workers`` = N > 1 with several input files: N worker processes each read, render, tokenize
  and frame whole input files into spool files (reading and JSON parsing then scale with the
  processes); the main process packs the spools in input order and deletes each when done.

Memory is bounded by the batch size, the packing window and one shard's index. The output
depends only on the inputs and options, never on ``workers`` or timing: documents are numbered
in input order and the packer's windows are a function of the document stream.

A run writes into an empty (or its own unfinished) directory; ``manifest.json`` comes last, so a
killed run never leaves a directory that loads as a dataset, and rerunning restarts it cleanly.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from boostpack.errors import InvalidInput
from boostpack.format.manifest import MANIFEST, file_xxh3
from boostpack.format.writer import ShardWriter, token_dtype
from boostpack.ingestion.quarantine import QuarantineWriter
from boostpack.ingestion.readers import Batch, ReadOptions, expand_inputs, read_batches
from boostpack.packing.packer import DEFAULT_WINDOW, STRATEGIES, Packer, Strategy, frame_documents
from boostpack.packing.render import TEMPLATES, ChatTemplate, renderer
from boostpack.packing.tokenization import (
    Encoder,
    Engine,
    TokenizerInfo,
    choose_encoder,
    load_encoders,
    load_tokenizer_info,
    set_threads,
)
from boostpack.runtime.atomic import TMP_PREFIX
from boostpack.runtime.console import Progress, log
from boostpack.runtime.executor import resolve_workers, run_tasks
from boostpack.runtime.gc_threshold import fewer_collections
from boostpack.runtime.sizes import parse_size

# Lines per read batch. Reading is the main thread's serial work and nothing is encoded before
# the first batch is read (nor packed after the last is encoded): with 32768 lines the encoder
# waited 0.35 s for the first batch of a 1.4 s qa_en run. gigatoken's 2-core encode of qa_en
# takes 0.077 s in 8192-document calls against 0.069 s in 32768-document calls.
BATCH_LINES = 8192
# Batches read ahead of the packer: bounds memory (records, texts and ids of these batches).
_IN_FLIGHT = 6
# gigatoken is trusted after its ids equal tokenizers' on the input's first documents, up to 512
# of them and 64 KB of text (~16k Llama-3 tokens): tokenizers runs at ~1-3 MB/s here, so the
# check costs a few hundredths of a second per run.
_SAMPLE_DOCS = 512
_SAMPLE_BYTES = 1 << 16
_SPOOL_DOCS = 65536  # documents per chunk when packing a spool: bounds the main's memory
_OWN_FILE = re.compile(r"^(shard-\d{5}\.(tokens|index)|documents\.(offsets|ids)|quarantine)$")


def _prepare_output(directory: Path) -> None:
    """Make ``directory`` ready for a fresh run: refuse a finished dataset or foreign files;
    delete what an interrupted run of ours left (shards, document table, temp files)."""
    if (directory / MANIFEST).exists():
        raise InvalidInput(f"{directory} already holds a packed dataset; remove it or choose "
                           "another output directory")
    if not directory.exists():
        directory.mkdir(parents=True)
        return
    if not directory.is_dir():
        raise InvalidInput(f"{directory} exists and is not a directory")
    entries = list(directory.iterdir())
    foreign = [p.name for p in entries
               if not (_OWN_FILE.match(p.name) or p.name.startswith(TMP_PREFIX))]
    if foreign:
        raise InvalidInput(f"{directory} is not empty ({foreign[0]}, ...); packing needs an "
                           "empty or unfinished output directory")
    for p in entries:
        if p.is_dir():  # a spool directory
            shutil.rmtree(p)
        else:
            p.unlink()


@dataclass(frozen=True)
class _Config:
    """Validated options shared by both ways of running (picklable: workers get it too)."""

    tokenizer: Path
    seq_len: int
    strategy: Strategy
    template: str
    bos: int | None
    eos: int | None
    pad: int
    dtype: np.dtype
    per_shard: int
    window: int
    engine: Engine

    @property
    def info(self) -> TokenizerInfo:
        return load_tokenizer_info(self.tokenizer)


def _configure(tokenizer: str | os.PathLike[str], seq_len: int, strategy: Strategy,
               template: str, add_bos: bool, add_eos: bool, pad_id: int | None,
               shard_size: str | int, tokenizer_engine: Engine, window: int) -> _Config:
    if strategy not in STRATEGIES:
        raise InvalidInput(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")
    if template not in TEMPLATES:
        raise InvalidInput(f"unknown template {template!r} (one of {', '.join(TEMPLATES)})")
    if not 0 < seq_len < 2**31:
        raise InvalidInput(f"seq_len must be in [1, 2^31), got {seq_len}")
    info = load_tokenizer_info(tokenizer)
    _renderer(template, info)  # fails early when the chat template is missing
    bos = _special(info.bos_id, add_bos, "BOS", "--no-bos")
    eos = _special(info.eos_id, add_eos, "EOS", "--no-eos")
    if template == "chat" and bos is not None and "bos_token" in (info.chat_template or ""):
        bos = None  # the template writes the BOS text itself; never two BOS
    pad = pad_id if pad_id is not None else next(
        (i for i in (info.pad_id, info.eos_id) if i is not None), 0)
    if isinstance(pad, bool) or not isinstance(pad, int) or not 0 <= pad < info.vocab_size:
        raise InvalidInput(f"pad id {pad_id!r} is not a token id of this tokenizer "
                           f"(0 to {info.vocab_size - 1})")
    dtype = token_dtype(info.vocab_size)
    if not 0 <= pad <= np.iinfo(dtype).max:
        raise InvalidInput(f"pad id {pad} does not fit {dtype}")
    per_shard = max(1, parse_size(shard_size, "shard size") // (seq_len * dtype.itemsize))
    return _Config(info.path, seq_len, strategy, template, bos, eos, pad, dtype, per_shard,
                   window, tokenizer_engine)


class _Output:
    """Packer + shard writer + the counts that end up in the manifest, fed in document order
    (from one thread at a time)."""

    def __init__(self, out: Path, cfg: _Config) -> None:
        self.cfg = cfg
        self.packer = Packer(cfg.seq_len, cfg.strategy, pad_id=cfg.pad, dtype=cfg.dtype,
                             window=cfg.window)
        self.writer = ShardWriter(out, seq_len=cfg.seq_len, dtype=cfg.dtype,
                                         sequences_per_shard=cfg.per_shard)
        self.counts = {"records": 0, "empty_records": 0, "quarantined_records": 0,
                       "input_bytes": 0}
        # Lines pack cannot read go where ingest and dedup put theirs, so none is lost unseen.
        self.quarantine = QuarantineWriter(out)
        self.quarantine_reasons: Counter[str] = Counter()
        self.sources: list[dict[str, Any]] = []
        self.source_documents: dict[int, int] = {}
        self.split_documents = 0
        self.engine: str | None = None

    def add_quarantined(self, lines: Iterable[bytes]) -> None:
        """Write quarantine entries (JSON lines, as ``QuarantineEntry.to_json``) in input order."""
        for line in lines:
            self.quarantine_reasons[orjson.loads(line)["reason"]] += 1
            self.quarantine.write(line)

    def abort(self) -> None:
        """Drop the open temp files after an error (nothing half-written stays)."""
        self.writer.abort()
        self.quarantine.abort()

    def add(self, flat: np.ndarray, offsets: np.ndarray, ids: list[str], source: int) -> None:
        """Pack documents ``flat[offsets[d]:offsets[d+1]]`` (each ≥ 1 token) of input
        ``source`` with their record ids."""
        self.writer.add_documents(ids)
        self._pack(flat, offsets, source)

    def add_encoded(self, flat: np.ndarray, offsets: np.ndarray, id_bytes: Any,
                    id_lengths: np.ndarray, source: int) -> None:
        """``add`` with the record ids UTF-8 encoded and concatenated (``id_lengths`` bytes
        each), as spooled by a worker."""
        self.writer.add_encoded_documents(id_bytes, id_lengths)
        self._pack(flat, offsets, source)

    def _pack(self, flat: np.ndarray, offsets: np.ndarray, source: int) -> None:
        self.source_documents[source] = self.source_documents.get(source, 0) + len(offsets) - 1
        self._write(self.packer.add(flat, offsets))

    def _write(self, blocks: Iterator[Any]) -> None:
        for b in blocks:
            self.writer.write(b.tokens, b.seq_ptr, b.start, b.length, b.doc)
            self.split_documents += b.split_documents

    def finish(self) -> dict[str, Any]:
        """Flush the packer and write the manifest (last)."""
        self._write(self.packer.finish())
        self.quarantine.close()
        first = 0
        for i, source in enumerate(self.sources):  # documents are numbered in input order
            count = self.source_documents.get(i, 0)
            source["documents"] = [first, count]
            first += count
        cfg = self.cfg
        return self.writer.finish({
            "created_by": "boostpack pack",
            "tokenizer": {**cfg.info.manifest_entry(), "pad_id": cfg.pad, "engine": self.engine},
            "template": cfg.template,
            "add_bos": cfg.bos is not None,
            "add_eos": cfg.eos is not None,
            "strategy": cfg.strategy,
            "window": cfg.window,
            "sources": self.sources,
            "totals": {k: self.counts[k] for k in ("records", "empty_records",
                                                   "quarantined_records")},
            "quarantined_by_reason": dict(sorted(self.quarantine_reasons.items())),
        }, split_documents=self.split_documents)


def _drop_empty(flat: np.ndarray, offsets: np.ndarray, ids: list[str]
                ) -> tuple[np.ndarray, list[str], int]:
    """Drop documents that encode to no tokens (possible only without BOS/EOS and with a
    normalizer that erases the text); a dropped document adds no tokens, so ``flat`` stays."""
    keep = offsets[1:] > offsets[:-1]
    if keep.all():
        return offsets, ids, 0
    kept = [i for i, k in zip(ids, keep.tolist(), strict=True) if k]
    return np.concatenate([offsets[:1], offsets[1:][keep]]), kept, len(ids) - len(kept)


def _render_batch(render: Callable[[dict[str, Any]], str], batch: Batch
                  ) -> tuple[list[str], list[str]]:
    """Texts and record ids of the batch's records that render to something."""
    texts = [render(r) for r in batch.records]
    ids = [r["id"] for r in batch.records]
    if not all(texts):
        ids = [i for i, t in zip(ids, texts, strict=True) if t]
        texts = [t for t in texts if t]
    return texts, ids


def _pick_encoder(loading: Future[tuple[list[Encoder], str | None]], texts: list[str]
                  ) -> Encoder:
    """The encoder ``choose_encoder`` picks on the first texts (warnings logged)."""
    candidates, warning = loading.result()
    encoder, mismatch = choose_encoder(candidates, _sample(texts))
    if warning or mismatch:
        log(f"boostpack pack: warning: {warning or mismatch}")
    return encoder


def pack(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    tokenizer: str | os.PathLike[str],
    seq_len: int = 4096,
    strategy: Strategy = "bestfit",
    template: str = "qa",
    add_bos: bool = True,
    add_eos: bool = True,
    pad_id: int | None = None,
    workers: int | None = None,
    shard_size: str | int = "1G",
    tokenizer_engine: Engine = "auto",
    window: int = DEFAULT_WINDOW,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    requests: Sequence[str | os.PathLike[str]] = (),
    progress: bool | None = None,
) -> dict[str, Any]:
    """Tokenize and pack ``inputs`` (files or directories of JSONL / JSONL.zst / Parquet) into a
    packed dataset at ``output_dir`` (format: ``docs/format.md``); return the summary.

    ``seq_len`` tokens per sequence; ``strategy`` ``bestfit|concat|pad``; ``template``
    ``qa|qa+reasoning|text|chat``; BOS/EOS from the tokenizer unless switched off; ``pad_id``
    defaults to the tokenizer's pad token, else EOS, else 0. ``workers``: cores to use; with
    several input files, N > 1 worker processes each tokenize whole files, otherwise one
    process with N tokenizer threads (default: ``$BOOSTPACK_WORKERS``, else all cores). ``shard_size`` bounds each token file (``1G``); ``window``: documents per
    best-fit window; ``fmt``/``mapping``/``strict``/``requests`` control reading
    (``ReadOptions``).
    ``progress``: None draws a progress line only when stderr is a terminal.
    """
    files = expand_inputs(inputs)
    if not files:
        raise InvalidInput("no input files")
    read_options = ReadOptions(fmt=fmt, mapping=mapping, strict=strict, requests=tuple(requests))
    cfg = _configure(tokenizer, seq_len, strategy, template, add_bos, add_eos, pad_id,
                     shard_size, tokenizer_engine, window)
    workers = resolve_workers(workers)
    if workers > 1 and len(files) > 1:
        return _pack_processes(files, Path(output_dir), cfg, read_options, workers, progress)
    set_threads(workers)
    sources: list[dict[str, Any]] = []

    def batches() -> Iterator[tuple[int, Batch]]:
        for index, path in enumerate(files):
            sources.append(_source(path))
            # Decompression on its own thread: the main thread's reading is this mode's
            # bottleneck, and the encoder leaves a core idle most of the time.
            for batch in read_batches(path, read_options, BATCH_LINES, read_ahead=True):
                yield index, batch

    return _pack_threads(batches(), Path(output_dir), cfg, sources, progress)


def pack_batches(
    batches: Iterable[tuple[int, Batch]],
    output_dir: str | os.PathLike[str],
    *,
    sources: list[dict[str, Any]],
    tokenizer: str | os.PathLike[str],
    seq_len: int = 4096,
    strategy: Strategy = "bestfit",
    template: str = "qa",
    add_bos: bool = True,
    add_eos: bool = True,
    pad_id: int | None = None,
    shard_size: str | int = "1G",
    tokenizer_engine: Engine = "auto",
    window: int = DEFAULT_WINDOW,
    progress: bool | None = None,
) -> dict[str, Any]:
    """The pipeline after reading: ``(source number, Batch)`` pairs in input order → dataset.

    For callers already holding record batches (a benchmark, another stage). ``sources[i]``
    describes input ``i`` (path, bytes, xxh3) and must exist by the time its first batch
    arrives; its ``records`` and ``documents`` are filled in. Options as for ``pack``.
    """
    cfg = _configure(tokenizer, seq_len, strategy, template, add_bos, add_eos, pad_id,
                     shard_size, tokenizer_engine, window)
    return _pack_threads(batches, Path(output_dir), cfg, sources, progress)


def _source(path: str) -> dict[str, Any]:
    return {"path": os.path.abspath(path), "bytes": os.path.getsize(path),
            "xxh3": file_xxh3(path), "records": 0}


@fewer_collections()
def _pack_threads(batches: Iterable[tuple[int, Batch]], out: Path, cfg: _Config,
                  sources: list[dict[str, Any]], progress: bool | None) -> dict[str, Any]:
    """One process: main thread reads and renders, an encode thread tokenizes and frames,
    a write thread packs and writes; single-thread executors keep batches in order. A check
    thread compares the engines on the first texts meanwhile (see ``framed``)."""
    started = time.monotonic()
    render = _renderer(cfg.template, cfg.info)
    _prepare_output(out)
    output = _Output(out, cfg)
    output.sources = sources
    counts = output.counts
    encoding = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-encode")
    checking = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-check")
    writing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-write")
    pending: deque[Future[None]] = deque()
    chosen: Future[Encoder] | None = None
    bar = Progress("pack", unit="records", enabled=progress)
    # Loading a 128k-vocabulary tokenizer takes seconds (GIL released): overlap it with reading.
    loading = encoding.submit(load_encoders, cfg.tokenizer, cfg.engine)

    def framed(texts: list[str], chosen: Future[Encoder]
               ) -> tuple[Encoder, np.ndarray, np.ndarray]:
        # Until the check is done, the fastest candidate encodes speculatively: the check
        # (tokenizers on a 64 KB sample) took 0.03-0.09 s of a 0.3-0.4 s qa_en run from
        # memory, all of it before the first encode. ``consume`` redoes a batch whose encoder
        # the check did not pick, so the output is what the picked encoder gives.
        encoder = chosen.result() if chosen.done() else loading.result()[0][0]
        flat, offsets = encoder.encode(texts)
        return encoder, *frame_documents(flat, offsets, cfg.bos, cfg.eos)

    def consume(encoded: Future[tuple[Encoder, np.ndarray, np.ndarray]], chosen: Future[Encoder],
                texts: list[str], ids: list[str], source: int) -> None:
        encoder, flat, offsets = encoded.result()
        picked = chosen.result()
        if encoder is not picked:
            flat, offsets = frame_documents(*picked.encode(texts), cfg.bos, cfg.eos)
        output.engine = picked.name
        offsets, ids, dropped = _drop_empty(flat, offsets, ids)
        counts["empty_records"] += dropped
        output.add(flat, offsets, ids, source)

    try:
        for source, batch in batches:
            counts["quarantined_records"] += len(batch.quarantined)
            if batch.quarantined:
                entries = [e.to_json() for e in batch.quarantined]
                pending.append(writing.submit(output.add_quarantined, entries))
            counts["input_bytes"] += batch.bytes_read
            texts, ids = _render_batch(render, batch)
            counts["records"] += len(batch.records)
            counts["empty_records"] += len(batch.records) - len(texts)
            sources[source]["records"] += len(batch.records)
            bar.update(len(batch.records))
            if not texts:
                continue
            if chosen is None:
                chosen = checking.submit(_pick_encoder, loading, texts)
            while len(pending) >= _IN_FLIGHT:
                pending.popleft().result()
            encoded = encoding.submit(framed, texts, chosen)
            pending.append(writing.submit(consume, encoded, chosen, texts, ids, source))
        while pending:
            pending.popleft().result()
        manifest = writing.submit(output.finish).result()
    except BaseException:
        for f in pending:
            f.cancel()
        for executor in (encoding, checking, writing):
            executor.shutdown(wait=True, cancel_futures=True)
        output.abort()
        raise
    finally:
        bar.close()
    for executor in (encoding, checking, writing):
        executor.shutdown(wait=True)
    return _summary(manifest, out, counts, output.engine, time.monotonic() - started)


@dataclass(frozen=True)
class _FileTask:
    """One input file for a worker process: read, render, tokenize, frame, spool."""

    index: int
    path: str
    spool: str  # path prefix of the spool files
    cfg: _Config
    read_options: ReadOptions


_SPOOL_PARTS = ("tokens", "lengths", "ids", "id_lengths", "quarantine")


@fewer_collections()
def _spool_file(task: _FileTask) -> dict[str, Any]:
    """Worker: spool one input file as flat ``uint32`` tokens, ``int64`` document lengths,
    concatenated UTF-8 record ids and their ``uint64`` lengths (each file written to a temp
    name and renamed); return its counts and source description."""
    cfg = task.cfg
    set_threads(1)  # one core per worker process: the processes are the parallelism
    render = _renderer(cfg.template, cfg.info)
    candidates, warning = load_encoders(cfg.tokenizer, cfg.engine)
    encoder: Encoder | None = None
    result: dict[str, Any] = {"records": 0, "empty_records": 0, "quarantined_records": 0,
                              "input_bytes": 0, "source": _source(task.path),
                              "engine": None, "warning": warning}
    paths = {part: Path(f"{task.spool}.{part}") for part in _SPOOL_PARTS}
    tmp = {part: p.with_name(TMP_PREFIX + p.name) for part, p in paths.items()}
    files = {part: open(p, "wb") for part, p in tmp.items()}  # noqa: SIM115 - closed below
    try:
        for batch in read_batches(task.path, task.read_options, BATCH_LINES):
            result["records"] += len(batch.records)
            result["quarantined_records"] += len(batch.quarantined)
            result["input_bytes"] += batch.bytes_read
            for entry in batch.quarantined:
                files["quarantine"].write(entry.to_json() + b"\n")
            texts, ids = _render_batch(render, batch)
            result["empty_records"] += len(batch.records) - len(texts)
            if not texts:
                continue
            if encoder is None:  # each worker checks gigatoken on its own file's first texts
                encoder, mismatch = choose_encoder(candidates, _sample(texts))
                result["engine"], result["warning"] = encoder.name, warning or mismatch
            flat, offsets = encoder.encode(texts)
            flat, offsets = frame_documents(flat, offsets, cfg.bos, cfg.eos)
            offsets, ids, dropped = _drop_empty(flat, offsets, ids)
            result["empty_records"] += dropped
            encoded = [i.encode("utf-8") for i in ids]
            files["tokens"].write(flat.tobytes())
            files["lengths"].write(np.diff(offsets).astype(np.int64).tobytes())
            files["ids"].write(b"".join(encoded))
            files["id_lengths"].write(
                np.fromiter(map(len, encoded), dtype=np.uint64, count=len(encoded)).tobytes())
    finally:
        for f in files.values():
            f.close()
    for part in _SPOOL_PARTS:
        os.replace(tmp[part], paths[part])
    return result


def _pack_processes(files: list[str], out: Path, cfg: _Config, read_options: ReadOptions,
                    workers: int, progress: bool | None) -> dict[str, Any]:
    """Worker processes spool input files (up to 2 × workers ahead); the main process packs
    the spools in input order, deleting each once packed."""
    started = time.monotonic()
    _prepare_output(out)
    output = _Output(out, cfg)
    counts = output.counts
    spool_dir = out / f"{TMP_PREFIX}spool"
    spool_dir.mkdir()
    tasks = (_FileTask(i, path, str(spool_dir / f"{i:06d}"), cfg, read_options)
             for i, path in enumerate(files))
    engines: list[str] = []
    bar = Progress("pack", unit="files", total=len(files), enabled=progress)
    try:
        for index, result in enumerate(run_tasks(_spool_file, tasks, workers)):
            for key in ("records", "empty_records", "quarantined_records", "input_bytes"):
                counts[key] += result[key]
            output.sources.append({**result["source"], "records": result["records"]})
            if result["warning"]:
                log(f"boostpack pack: warning: {result['source']['path']}: {result['warning']}")
            if result["engine"] and result["engine"] not in engines:
                engines.append(result["engine"])
                output.engine = "+".join(engines)  # "giga", or "giga+hf" if a file fell back
            _pack_spool(output, spool_dir / f"{index:06d}", index)
            bar.update()
        manifest = output.finish()
    except BaseException:
        output.abort()
        raise
    finally:
        bar.close()
        shutil.rmtree(spool_dir, ignore_errors=True)
    return _summary(manifest, out, counts, output.engine, time.monotonic() - started)


def _pack_spool(output: _Output, prefix: Path, source: int) -> None:
    """Feed one spooled file to the packer in chunks of ``_SPOOL_DOCS`` documents (memory-mapped:
    a chunk at a time is in memory)."""
    parts = {part: Path(f"{prefix}.{part}") for part in _SPOOL_PARTS}

    def mapped(part: str, dtype: type) -> np.ndarray:
        return (np.memmap(parts[part], dtype=dtype, mode="r") if parts[part].stat().st_size
                else np.zeros(0, dtype=dtype))

    with open(parts["quarantine"], "rb") as f:
        output.add_quarantined(line.rstrip(b"\n") for line in f)
    lengths, id_lengths = mapped("lengths", np.int64), mapped("id_lengths", np.uint64)
    tokens, id_bytes = mapped("tokens", np.uint32), mapped("ids", np.uint8)
    token_pos = id_pos = 0
    for a in range(0, len(lengths), _SPOOL_DOCS):
        chunk = np.asarray(lengths[a:a + _SPOOL_DOCS])
        id_chunk = np.asarray(id_lengths[a:a + _SPOOL_DOCS])
        offsets = np.zeros(len(chunk) + 1, dtype=np.int64)
        np.cumsum(chunk, out=offsets[1:])
        n_tok, n_id = int(offsets[-1]), int(id_chunk.sum())
        output.add_encoded(np.array(tokens[token_pos:token_pos + n_tok]), offsets,
                           np.array(id_bytes[id_pos:id_pos + n_id]), id_chunk, source)
        token_pos += n_tok
        id_pos += n_id
    del lengths, id_lengths, tokens, id_bytes  # unmap before deleting the files
    for p in parts.values():
        p.unlink()


def _sample(texts: list[str]) -> list[str]:
    """The first texts, at most ``_SAMPLE_DOCS`` and about ``_SAMPLE_BYTES`` characters."""
    out: list[str] = []
    size = 0
    for text in texts[:_SAMPLE_DOCS]:
        if out and size + len(text) > _SAMPLE_BYTES:
            break
        out.append(text)
        size += len(text)
    return out


def _renderer(template: str, info: Any) -> Callable[[dict[str, Any]], str]:
    if template != "chat":
        return renderer(template)
    if not info.chat_template:
        raise InvalidInput(f"template 'chat': {info.path} has no chat template (looked for "
                           f"chat_template in {info.path.with_name('tokenizer_config.json')})")
    return renderer("chat", ChatTemplate(info.chat_template, info.bos_token or "",
                                         info.eos_token or ""))


def _special(token_id: int | None, wanted: bool, name: str, switch: str) -> int | None:
    if not wanted:
        return None
    if token_id is None:
        raise InvalidInput(f"the tokenizer has no {name} token that boostpack can identify; "
                           f"pass {switch}")
    return token_id


def _summary(manifest: dict[str, Any], out: Path, counts: dict[str, int],
             engine: str | None, seconds: float) -> dict[str, Any]:
    totals = manifest["totals"]
    slots = totals["sequences"] * manifest["seq_len"]
    return {
        "output": str(out),
        "engine": engine,
        "strategy": manifest["strategy"],
        "seq_len": manifest["seq_len"],
        "records": totals["records"],
        "empty_records": totals["empty_records"],
        "quarantined_records": totals["quarantined_records"],
        "quarantined_by_reason": manifest.get("quarantined_by_reason", {}),
        "documents": totals["documents"],
        "tokens": totals["tokens"],
        "sequences": totals["sequences"],
        "padding_tokens": totals["padding_tokens"],
        "packing_efficiency": totals["tokens"] / slots if slots else 0.0,
        "split_documents": totals["split_documents"],
        "shards": len(manifest["shards"]),
        "input_bytes": counts["input_bytes"],
        "seconds": seconds,
        "mb_per_s": counts["input_bytes"] / 1e6 / seconds if seconds else 0.0,
        "tokens_per_s": totals["tokens"] / seconds if seconds else 0.0,
    }
