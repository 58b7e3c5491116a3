"""From rendered records to encoded documents: ``DocBatch`` (the documents of consecutive input
lines, as segments of UTF-8 text, see ``segments``), built by ``DocBuilder``, and
``encode_batch`` (segments -> token ids per document, the prompt's token count per document;
the packer frames documents with BOS/EOS).

Documents are the records that render to non-empty text, numbered in input order. With
``--loss-on answer`` a document's first segments are its prompt (``prompt_segs``), so the
answer's first token is a segment boundary; where the prompt does not end at an allowed cut (or
the tokenizer has no exact cuts) the document is one text and its prompt is encoded alone as a
probe: the prompt's tokens are then the longest common prefix of the two encodings (the tokens
that lie wholly inside the prompt; a token that straddles the boundary carries loss).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from boostpack.packing.segments import SEGMENT_BYTES, cut_points, exact_junction, split_at
from boostpack.packing.tokenization import Encoder

_I64 = np.int64
# A run of documents: text, seg_offsets, doc_segs, prompt_segs, ids, id_lengths (DocBatch's).
_Run = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class DocBatch:
    """Documents of consecutive lines of one input file, ready to encode.

    ``text``: ``uint8[B]``, every segment's UTF-8 back to back; ``seg_offsets``: ``int64[S + 1]``;
    ``doc_segs``: ``int64[D + 1]``, the segments of document ``d`` are
    ``doc_segs[d]:doc_segs[d+1]``; ``prompt_segs``: ``int64[D]``, how many of them are its prompt
    (0 unless ``--loss-on answer``); ``probes``: document -> prompt text, for documents whose
    prompt is not whole segments. ``ids``/``id_lengths``: the record ids, UTF-8, concatenated.
    The counts describe the lines read: ``records`` (converted, ``empty_records`` of them
    rendered to nothing), ``quarantined`` (JSON lines of the quarantine entries),
    ``lines_read``, ``bytes_read``.
    """

    source: int
    text: np.ndarray
    seg_offsets: np.ndarray
    doc_segs: np.ndarray
    prompt_segs: np.ndarray
    probes: dict[int, bytes]
    ids: np.ndarray
    id_lengths: np.ndarray
    quarantined: list[bytes] = field(default_factory=list)
    records: int = 0
    empty_records: int = 0
    lines_read: int = 0
    bytes_read: int = 0

    @property
    def documents(self) -> int:
        return len(self.doc_segs) - 1

    @property
    def text_bytes(self) -> int:
        return int(self.seg_offsets[-1])


class DocBuilder:
    """Collects documents in input order: one at a time from Python (``add``), or whole runs
    already laid out as arrays (``add_run``, the fast lane's); ``finish`` returns the batch."""

    def __init__(self, source: int, loss_answer: bool, exact_cuts: bool) -> None:
        self.source, self.loss_answer, self.exact_cuts = source, loss_answer, exact_cuts
        self._runs: list[_Run] = []
        self._texts: list[bytes] = []
        self._seg_per_doc: list[int] = []
        self._prompt_segs: list[int] = []
        self._ids: list[bytes] = []
        self.probes: dict[int, bytes] = {}
        self.documents = 0
        self.text_bytes = 0
        self.counts = {"records": 0, "empty_records": 0, "lines_read": 0, "bytes_read": 0}
        self.quarantined: list[bytes] = []

    def _cut(self, data: bytes) -> list[bytes]:
        if self.exact_cuts and len(data) > SEGMENT_BYTES:
            return split_at(data, cut_points(data))
        return [data]

    def add(self, prompt: str, response: str, record_id: str) -> bool:
        """Add one rendered record; False (nothing added) when it rendered to nothing."""
        p, r = prompt.encode("utf-8", "surrogatepass"), response.encode("utf-8", "surrogatepass")
        if not p and not r:
            return False
        if not (self.loss_answer and p):
            segments, prompt_segs = self._cut(p + r), 0
        elif self.exact_cuts and exact_junction(p, r):
            head = self._cut(p)
            segments, prompt_segs = head + self._cut(r), len(head)
        else:
            segments, prompt_segs = self._cut(p + r), 0
            self.probes[self.documents] = p
        self._texts += segments
        self._seg_per_doc.append(len(segments))
        self._prompt_segs.append(prompt_segs)
        self._ids.append(record_id.encode("utf-8", "surrogatepass"))
        self.documents += 1
        self.text_bytes += len(p) + len(r)
        return True

    def _close_python_run(self) -> None:
        if not self._seg_per_doc:
            return
        lengths = np.fromiter(map(len, self._texts), dtype=_I64, count=len(self._texts))
        seg_offsets = np.zeros(len(lengths) + 1, dtype=_I64)
        np.cumsum(lengths, out=seg_offsets[1:])
        doc_segs = np.zeros(len(self._seg_per_doc) + 1, dtype=_I64)
        np.cumsum(self._seg_per_doc, out=doc_segs[1:])
        id_lengths = np.fromiter(map(len, self._ids), dtype=np.uint64, count=len(self._ids))
        self._runs.append((np.frombuffer(b"".join(self._texts), dtype=np.uint8), seg_offsets,
                           doc_segs, np.array(self._prompt_segs, dtype=_I64),
                           np.frombuffer(b"".join(self._ids), dtype=np.uint8), id_lengths))
        self._texts, self._seg_per_doc, self._prompt_segs, self._ids = [], [], [], []

    def add_run(self, text: np.ndarray, seg_offsets: np.ndarray, doc_segs: np.ndarray,
                prompt_segs: np.ndarray, ids: np.ndarray, id_lengths: np.ndarray) -> None:
        """Add documents laid out as a ``DocBatch``'s arrays (offsets from 0, no probes)."""
        self._close_python_run()
        self._runs.append((text, seg_offsets, doc_segs, prompt_segs, ids, id_lengths))
        self.documents += len(doc_segs) - 1
        self.text_bytes += int(seg_offsets[-1])

    def finish(self) -> DocBatch:
        """The batch of everything added (the builder is then empty)."""
        self._close_python_run()
        runs, self._runs = self._runs, []
        if not runs:
            empty = np.zeros(1, dtype=_I64)
            runs = [(np.zeros(0, np.uint8), empty, empty, np.zeros(0, _I64),
                     np.zeros(0, np.uint8), np.zeros(0, np.uint64))]
        text, seg_offsets, doc_segs, prompt_segs, ids, id_lengths = _concatenate(runs)
        batch = DocBatch(self.source, text, seg_offsets, doc_segs, prompt_segs, self.probes,
                         ids, id_lengths)
        batch.quarantined = self.quarantined
        for name, value in self.counts.items():
            setattr(batch, name, value)
        return batch


def _concatenate(runs: list[_Run]) -> _Run:
    """The runs' arrays joined, offsets shifted."""
    if len(runs) == 1:
        return runs[0]
    texts, segs, docs, prompts, ids, id_lengths = zip(*runs, strict=True)
    text_base = np.cumsum([0, *(int(s[-1]) for s in segs[:-1])])
    seg_base = np.cumsum([0, *(len(s) - 1 for s in segs[:-1])])
    seg_offsets = np.concatenate([segs[0][:1], *(s[1:] + b for s, b in
                                                  zip(segs, text_base, strict=True))])
    doc_segs = np.concatenate([docs[0][:1], *(d[1:] + b for d, b in
                                               zip(docs, seg_base, strict=True))])
    return (np.concatenate(texts), seg_offsets, doc_segs, np.concatenate(prompts),
            np.concatenate(ids), np.concatenate(id_lengths))


def _common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


def encode_batch(encoder: Encoder, batch: DocBatch, bos: int | None,
                 parallel: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The batch's documents as token ids, not framed (the packer adds BOS/EOS as it copies
    them into sequences): flat ``uint32[T]``, ``int64[D + 1]`` offsets into it and ``int64[D]``
    leading tokens without loss once framed (BOS and the prompt, for documents that have a
    prompt; 0 for the others)."""
    flat, seg_offsets = encoder.encode((batch.text, batch.seg_offsets), parallel)
    doc_offsets = seg_offsets[batch.doc_segs]
    starts = doc_offsets[:-1]
    prompt = seg_offsets[batch.doc_segs[:-1] + batch.prompt_segs] - starts
    if batch.probes:
        docs = list(batch.probes)
        probe_text = b"".join(batch.probes[d] for d in docs)
        probe_offsets = np.zeros(len(docs) + 1, dtype=_I64)
        np.cumsum([len(batch.probes[d]) for d in docs], out=probe_offsets[1:])
        ids, offsets = encoder.encode((np.frombuffer(probe_text, np.uint8), probe_offsets),
                                      parallel)
        for k, d in enumerate(docs):
            whole = flat[doc_offsets[d]:doc_offsets[d + 1]]
            prompt[d] = _common_prefix(ids[offsets[k]:offsets[k + 1]], whole)
    no_loss = np.where(prompt > 0, prompt + (bos is not None), 0).astype(_I64)
    return flat, doc_offsets, no_loss


def drop_empty(offsets: np.ndarray, no_loss: np.ndarray, ids: np.ndarray,
               id_lengths: np.ndarray, framing: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Drop documents that have no tokens once framed with ``framing`` BOS/EOS tokens (possible
    only without BOS/EOS and with a normalizer that erases the text); a dropped document adds
    no tokens, so the flat ids stay. Returns the new offsets, no-loss counts, ids, id lengths
    and how many were dropped."""
    if framing:
        return offsets, no_loss, ids, id_lengths, 0
    keep = offsets[1:] > offsets[:-1]
    if keep.all():
        return offsets, no_loss, ids, id_lengths, 0
    owner = np.repeat(keep, id_lengths.astype(_I64))  # per id byte: is its document kept
    kept_ids = ids[owner]
    return (np.concatenate([offsets[:1], offsets[1:][keep]]), no_loss[keep], kept_ids,
            id_lengths[keep], int(np.count_nonzero(~keep)))
