"""A task's pipeline inside its process: the task's thread reads and renders ``DocBatch``es; an
encode thread tokenizes them (the engines release the GIL; with ``parallel`` on every core of
their thread pool); a write thread packs them (framed with BOS/EOS there) and writes. At most
``_IN_FLIGHT`` batches are queued, which bounds memory; single-thread executors keep the
batches in order, so the output does not depend on timing.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from boostpack.packing.documents import DocBatch, drop_empty, encode_batch
from boostpack.packing.job import PackJob
from boostpack.packing.output import TaskSink
from boostpack.packing.tokenization import Encoder

# Batches (~4 MB of input each) queued ahead of the writer.
_IN_FLIGHT = 4


class Pipeline:
    """Feed ``add`` batches in input order; ``finish`` waits for all of them. ``documents[s]``
    counts the documents packed from the task's input piece ``s``."""

    def __init__(self, job: PackJob, encoder: Encoder, sink: TaskSink, parallel: bool,
                 pieces: int) -> None:
        self.job, self.encoder, self.sink, self.parallel = job, encoder, sink, parallel
        self.documents = [0] * pieces
        self.empty = [0] * pieces  # documents that encoded to no tokens
        self.encoding = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-encode")
        self.writing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boostpack-write")
        self.pending: deque[Future[None]] = deque()

    def add(self, batch: DocBatch) -> None:
        if batch.quarantined:
            self.pending.append(self.writing.submit(self.sink.add_quarantined, batch.quarantined))
        if not batch.documents:
            return
        while len(self.pending) >= _IN_FLIGHT:
            self.pending.popleft().result()
        encoded = self.encoding.submit(encode_batch, self.encoder, batch, self.job.bos,
                                       self.parallel)
        self.pending.append(self.writing.submit(self._consume, encoded, batch))

    def _consume(self, encoded: Future[tuple[np.ndarray, np.ndarray, np.ndarray]],
                 batch: DocBatch) -> None:
        """Write thread: pack one encoded batch."""
        flat, offsets, no_loss = encoded.result()
        framing = (self.job.bos is not None) + (self.job.eos is not None)
        offsets, no_loss, ids, id_lengths, dropped = drop_empty(offsets, no_loss, batch.ids,
                                                                batch.id_lengths, framing)
        self.empty[batch.source] += dropped
        self.documents[batch.source] += len(offsets) - 1
        self.sink.add(flat, offsets, no_loss, ids, id_lengths)

    def finish(self) -> None:
        """Wait for every batch and stop the threads (the sink stays open)."""
        while self.pending:
            self.pending.popleft().result()
        for executor in (self.encoding, self.writing):
            executor.shutdown(wait=True)

    def abort(self) -> None:
        """Cancel what is queued and stop the threads."""
        for f in self.pending:
            f.cancel()
        for executor in (self.encoding, self.writing):
            executor.shutdown(wait=True, cancel_futures=True)
