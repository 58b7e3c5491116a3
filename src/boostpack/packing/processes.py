"""The multi-process pack driver, for several input files: N worker processes each read,
render, tokenize and frame whole input files into spool files (so reading and JSON parsing
scale with the processes); the main process packs the spools in input order and deletes each
when done. The output is byte for byte the one-process driver's.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.ingestion.readers import read_batches
from boostpack.packing.documents import BATCH_LINES, drop_empty, engine_sample, render_batch
from boostpack.packing.job import PackJob
from boostpack.packing.output import PackOutput, source_entry
from boostpack.packing.packer import frame_documents
from boostpack.packing.tokenization import Encoder, choose_encoder, load_encoders, set_threads
from boostpack.runtime.atomic import TMP_PREFIX
from boostpack.runtime.console import Progress, log
from boostpack.runtime.executor import run_tasks
from boostpack.runtime.gc_threshold import fewer_collections

_SPOOL_DOCS = 65536  # documents per chunk when packing a spool: bounds the main's memory
_SPOOL_PARTS = ("tokens", "lengths", "ids", "id_lengths", "quarantine")


@dataclass(frozen=True)
class _FileTask:
    """One input file for a worker process: read, render, tokenize, frame, spool."""

    index: int
    path: str
    spool: str  # path prefix of the spool files
    job: PackJob


@fewer_collections()
def _spool_file(task: _FileTask) -> dict[str, Any]:
    """Worker: spool one input file as flat ``uint32`` tokens, ``int64`` document lengths,
    concatenated UTF-8 record ids and their ``uint64`` lengths (each file written to a temp
    name and renamed); return its counts and source description."""
    job = task.job
    set_threads(1)  # one core per worker process: the processes are the parallelism
    render = job.renderer()
    candidates, warning = load_encoders(job.tokenizer, job.config.tokenizer_engine)
    encoder: Encoder | None = None
    result: dict[str, Any] = {"records": 0, "empty_records": 0, "quarantined_records": 0,
                              "input_bytes": 0, "source": source_entry(task.path),
                              "engine": None, "warning": warning}
    paths = {part: Path(f"{task.spool}.{part}") for part in _SPOOL_PARTS}
    tmp = {part: p.with_name(TMP_PREFIX + p.name) for part, p in paths.items()}
    files = {part: open(p, "wb") for part, p in tmp.items()}  # noqa: SIM115 - closed below
    try:
        for batch in read_batches(task.path, job.config.read, BATCH_LINES):
            result["records"] += len(batch.records)
            result["quarantined_records"] += len(batch.quarantined)
            result["input_bytes"] += batch.bytes_read
            for entry in batch.quarantined:
                files["quarantine"].write(entry.to_json() + b"\n")
            texts, ids = render_batch(render, batch)
            result["empty_records"] += len(batch.records) - len(texts)
            if not texts:
                continue
            if encoder is None:  # each worker checks gigatoken on its own file's first texts
                encoder, mismatch = choose_encoder(candidates, engine_sample(texts))
                result["engine"], result["warning"] = encoder.name, warning or mismatch
            flat, offsets = encoder.encode(texts)
            flat, offsets = frame_documents(flat, offsets, job.bos, job.eos)
            offsets, ids, dropped = drop_empty(flat, offsets, ids)
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


def pack_processes(files: list[str], out: Path, job: PackJob, workers: int,
                   progress: bool | None) -> dict[str, Any]:
    """Worker processes spool input files (up to 2 × workers ahead); the main process packs
    the spools in input order, deleting each once packed. Returns the summary."""
    started = time.monotonic()
    output = PackOutput(out, job)
    counts = output.counts
    spool_dir = out / f"{TMP_PREFIX}spool"
    spool_dir.mkdir()
    tasks = (_FileTask(i, path, str(spool_dir / f"{i:06d}"), job) for i, path in enumerate(files))
    engines: list[str] = []
    bar = Progress("pack", unit="files", total=len(files), enabled=progress)
    try:
        for index, result in enumerate(run_tasks(_spool_file, tasks, workers)):
            for key in counts:
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
    return output.summary(manifest, time.monotonic() - started)


def _pack_spool(output: PackOutput, prefix: Path, source: int) -> None:
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
