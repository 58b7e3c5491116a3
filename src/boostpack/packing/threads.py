"""The one-process pack driver: the calling thread reads and renders batches of records; an
encode thread tokenizes them (the engines' Rust thread pools use every core, GIL released) and
frames documents with BOS/EOS; a write thread packs and writes. At most ``_IN_FLIGHT`` + 1
batches are in flight, which bounds memory.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.ingestion.readers import Batch
from boostpack.packing.documents import drop_empty, engine_sample, render_batch
from boostpack.packing.job import PackJob
from boostpack.packing.output import PackOutput
from boostpack.packing.packer import frame_documents
from boostpack.packing.tokenization import Encoder, choose_encoder, load_encoders
from boostpack.runtime.console import Progress, log
from boostpack.runtime.gc_threshold import fewer_collections

# Batches read ahead of the packer: bounds memory (records, texts and ids of these batches).
_IN_FLIGHT = 6


def _pick_encoder(loading: Future[tuple[list[Encoder], str | None]], texts: list[str]
                  ) -> Encoder:
    """The encoder ``choose_encoder`` picks on the first texts (warnings logged)."""
    candidates, warning = loading.result()
    encoder, mismatch = choose_encoder(candidates, engine_sample(texts))
    if warning or mismatch:
        log(f"boostpack pack: warning: {warning or mismatch}")
    return encoder


class _Threads:
    """The encode, check and write threads of one run, fed batch by batch from the calling
    thread; single-thread executors keep batches in order."""

    def __init__(self, job: PackJob, output: PackOutput) -> None:
        self.job, self.output = job, output
        self.encoding = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-encode")
        self.checking = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-check")
        self.writing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-write")
        self.pending: deque[Future[None]] = deque()
        self.chosen: Future[Encoder] | None = None
        # Loading a 128k-vocabulary tokenizer takes seconds (GIL released): overlap it with
        # reading.
        self.loading = self.encoding.submit(load_encoders, job.tokenizer,
                                            job.config.tokenizer_engine)

    def add(self, source: int, batch: Batch, texts: list[str], ids: list[str]) -> None:
        """Queue one read batch whose records rendered to ``texts`` (with record ``ids``)."""
        if batch.quarantined:
            entries = [e.to_json() for e in batch.quarantined]
            self.pending.append(self.writing.submit(self.output.add_quarantined, entries))
        if not texts:
            return
        if self.chosen is None:  # a check thread compares the engines on the first texts
            self.chosen = self.checking.submit(_pick_encoder, self.loading, texts)
        while len(self.pending) >= _IN_FLIGHT:
            self.pending.popleft().result()
        encoded = self.encoding.submit(self._framed, texts, self.chosen)
        self.pending.append(self.writing.submit(self._consume, encoded, self.chosen, texts, ids,
                                                source))

    def _framed(self, texts: list[str], chosen: Future[Encoder]
                ) -> tuple[Encoder, np.ndarray, np.ndarray]:
        """Encode thread. Until the check is done, the fastest candidate encodes speculatively:
        the check (tokenizers on a 64 KB sample) took 0.03-0.09 s of a 0.3-0.4 s qa_en run
        from memory, all of it before the first encode. ``_consume`` redoes a batch whose
        encoder the check did not pick, so the output is what the picked encoder gives."""
        encoder = chosen.result() if chosen.done() else self.loading.result()[0][0]
        flat, offsets = encoder.encode(texts)
        return encoder, *frame_documents(flat, offsets, self.job.bos, self.job.eos)

    def _consume(self, encoded: Future[tuple[Encoder, np.ndarray, np.ndarray]],
                 chosen: Future[Encoder], texts: list[str], ids: list[str], source: int) -> None:
        """Write thread: pack one encoded batch."""
        encoder, flat, offsets = encoded.result()
        picked = chosen.result()
        if encoder is not picked:
            flat, offsets = frame_documents(*picked.encode(texts), self.job.bos, self.job.eos)
        self.output.engine = picked.name
        offsets, ids, dropped = drop_empty(flat, offsets, ids)
        self.output.counts["empty_records"] += dropped
        self.output.add(flat, offsets, ids, source)

    def finish(self) -> dict[str, Any]:
        """Wait for every batch, write the manifest and stop the threads; return it."""
        while self.pending:
            self.pending.popleft().result()
        manifest = self.writing.submit(self.output.finish).result()
        for executor in (self.encoding, self.checking, self.writing):
            executor.shutdown(wait=True)
        return manifest

    def abort(self) -> None:
        """Cancel what is queued, stop the threads, drop the unfinished output."""
        for f in self.pending:
            f.cancel()
        for executor in (self.encoding, self.checking, self.writing):
            executor.shutdown(wait=True, cancel_futures=True)
        self.output.abort()


@fewer_collections()
def pack_threads(batches: Iterable[tuple[int, Batch]], out: Path, job: PackJob,
                 sources: list[dict[str, Any]], progress: bool | None) -> dict[str, Any]:
    """Pack ``(source number, Batch)`` pairs, in input order, into a dataset at ``out``;
    ``sources[i]`` describes input ``i`` by the time its first batch arrives (its ``records``
    and ``documents`` are filled in). Returns the summary."""
    started = time.monotonic()
    render = job.renderer()
    output = PackOutput(out, job)
    output.sources = sources
    counts = output.counts
    threads = _Threads(job, output)
    bar = Progress("pack", unit="records", enabled=progress)
    try:
        for source, batch in batches:
            counts["quarantined_records"] += len(batch.quarantined)
            counts["input_bytes"] += batch.bytes_read
            texts, ids = render_batch(render, batch)
            counts["records"] += len(batch.records)
            counts["empty_records"] += len(batch.records) - len(texts)
            sources[source]["records"] += len(batch.records)
            bar.update(len(batch.records))
            threads.add(source, batch, texts, ids)
        manifest = threads.finish()
    except BaseException:
        threads.abort()
        raise
    finally:
        bar.close()
    return output.summary(manifest, time.monotonic() - started)
