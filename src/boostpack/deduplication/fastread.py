"""Dedup's fast reader: plain flat QA lines read as byte spans, no Python object per line.

Phase 1 needs only a few fields of a record: its id, its question and answer (the compared
texts). Each run of lines is scanned in C (``ingestion.flatscan``); a line is taken here when
the flat converter surely makes a QA record of it (``FlatScan.qa_records``) and its id is a
non-empty string, in a ``qa``/``text`` file without a field mapping. Such lines come out as
``FastBatch``es (columns: line numbers, raw lengths, JSON ids, packed texts). Every other line
(blank, invalid JSON, chat records, a missing id, anything unsure) goes through
``classify_runs`` with the same classifier, in order, so the records, quarantine entries, line
numbers and frame cuts are those of the classifier alone; the tests compare both line by line.

Used only when nothing else of the record matters (``fast_reader``): compared fields among
question and answer, no ``keep_max`` field, not ``--strict`` (whose error names a line).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from boostpack import _jsonl
from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.text import BatchTexts, PackedTexts
from boostpack.ingestion.classify import Batch, Classifier, ClassifyRuns, classify_runs, next_cut
from boostpack.ingestion.flatscan import SLOT, STRING, FlatScan
from boostpack.ingestion.options import ReadOptions
from boostpack.ingestion.streams import Gap

# Bytes orjson escapes in a string: '"', backslash and the C0 controls.
_ESCAPED = np.zeros(256, dtype=bool)
_ESCAPED[:0x20] = _ESCAPED[ord('"')] = _ESCAPED[ord("\\")] = True
_FIELDS = frozenset(("question", "answer"))


@dataclass(frozen=True)
class FastBatch:
    """Consecutive record lines read by the fast reader: ``lines`` (numbers, 1-based within
    the reader, as ``Batch.lines``), ``lengths`` (of ``Batch.raw``: terminator, CR excluded),
    ``ids`` (each id between quotes, unescaped: its JSON when ``clean``, nothing to escape),
    and the compared texts."""

    lines: np.ndarray
    lengths: np.ndarray
    ids: PackedTexts
    clean: bool
    texts: BatchTexts

    @property
    def size(self) -> int:
        return len(self.lines)

    @property
    def bytes_read(self) -> int:
        """Input bytes of the lines, one terminator each (as ``sign._bytes_read`` counts)."""
        return int(self.lengths.sum()) + len(self.lengths)


def fast_reader(cfg: DedupConfig, options: ReadOptions) -> ClassifyRuns:
    """The ``ClassifyRuns`` for reading with ``options`` under ``cfg``: the fast reader where
    what it vouches for is all phase 1 reads of a record, else ``classify_runs``."""
    if (not set(cfg.fields) <= _FIELDS or cfg.keep_max or options.strict or options.mapping
            or options.fmt not in ("auto", "qa", "text")):
        return classify_runs
    signed, answers = cfg.signed_fields, cfg.compares_answers

    def classify(cls: Classifier, runs: Iterable[list[bytes] | Gap], batch_lines: int,
                 start: int = 0, cell_bytes: int = 0, cuts: list[int] | None = None,
                 marks: Sequence[int] = ()) -> Iterator[Batch | FastBatch]:
        reader = _Reader(cls, batch_lines, start, cell_bytes, [] if cuts is None else cuts, marks)
        # Runs (one per decompressed chunk, ~1 MiB) are scanned up to ``batch_lines`` lines at a
        # time: phase 1's per-batch cost is then spread over as many records as a Batch holds.
        group: list[bytes] = []
        for run in runs:
            if type(run) is list and (group or reader.takes_runs()):
                if group and len(group) + len(run) > batch_lines:
                    yield from reader.run(group, signed, answers)
                    group = []
                group += run
                continue
            if group:
                yield from reader.run(group, signed, answers)
                group = []
            yield from reader.run(run, signed, answers)
        if group:
            yield from reader.run(group, signed, answers)

    return classify


class _Reader:
    """The state ``classify_runs`` keeps across runs (line number, stream offset, records
    done, next frame cut), carried between the fast lines and the classifier's."""

    def __init__(self, cls: Classifier, batch_lines: int, start: int, cell_bytes: int,
                 cuts: list[int], marks: Sequence[int]) -> None:
        self.cls, self.batch_lines, self.cell_bytes = cls, batch_lines, cell_bytes
        self.cuts, self.marks = cuts, np.asarray(marks, dtype=np.int64)
        self.line_no = self.done = 0
        self.offset = start
        self.cut_at = next_cut(start, cell_bytes, marks)

    def takes_runs(self) -> bool:
        """Whether lines are read as flat records by now (the file's format is known), past
        the stream's start (where a BOM may be)."""
        return self.offset != 0 and self.cls.fmt in ("qa", "text") and self.cls.convert is not None

    def run(self, run: list[bytes] | Gap, signed: Sequence[str],
            answers: bool) -> Iterator[Batch | FastBatch]:
        if type(run) is not list or not run or not self.takes_runs():
            yield from self.slow(run)  # a Gap, or a BOM and format detection at the start
            return
        data = b"\n".join([*run, b""])  # each line with its newline, in one copy
        scan = _Scan(data, len(run), self.cls.options.max_record_bytes or 0)
        good = scan.good()
        if not good.any():
            yield from self.slow(run)
            return
        bounds = np.flatnonzero(np.diff(np.concatenate(([0], good.view(np.int8), [0]))))
        base, at = self.offset, 0
        for first, end in [*bounds.reshape(-1, 2).tolist(), [len(run), len(run)]]:
            if first > at:
                yield from self.slow(run[at:first])
            for lo in range(first, end, self.batch_lines):
                yield self.fast(scan, base, lo, min(end, lo + self.batch_lines), signed, answers)
            at = end

    def slow(self, run: list[bytes] | Gap) -> Iterator[Batch]:
        """``classify_runs`` over one run, its numbers, offsets and cuts made the reader's."""
        lines = type(run) is list
        if lines and self.offset >= self.cut_at:  # classify_runs checks from its second line
            self.cuts.append(self.done)
        done, marks = self.done, self.marks.tolist()
        sub_cuts: list[int] = []
        moved = 0
        for batch in classify_runs(self.cls, [run], self.batch_lines, self.offset, self.cell_bytes,
                                   sub_cuts, marks):
            batch.lines = [n + self.line_no for n in batch.lines]
            for q in batch.quarantined:
                q.line += self.line_no
            moved += batch.bytes_read
            self.done += len(batch.records)
            yield batch
        self.cuts += [c + done for c in sub_cuts]
        if lines:  # a Gap moves no cut: the next line checks it
            last = self.offset + moved - len(run[-1]) - 1
            self.cut_at = next_cut(last, self.cell_bytes, marks)
        self.line_no += len(run) if lines else 1
        self.offset += moved

    def fast(self, scan: _Scan, base: int, lo: int, hi: int, signed: Sequence[str],
             answers: bool) -> FastBatch:
        """The FastBatch of the scanned lines ``lo..hi`` (all good) of a run at stream offset
        ``base``, with their frame cuts."""
        starts = base + scan.line_start[lo:hi]  # stream offsets of the lines
        prev = np.concatenate(([self.cut_at - 1], starts[:-1]))  # cut_at - 1 < cut_at <= s
        hit = np.zeros(hi - lo, dtype=bool)
        hit[0] = starts[0] >= self.cut_at
        if self.cell_bytes:
            hit[1:] |= starts[1:] // self.cell_bytes > prev[1:] // self.cell_bytes
        if len(self.marks):
            hit[1:] |= (np.searchsorted(self.marks, starts[1:], "right")
                        > np.searchsorted(self.marks, prev[1:], "right"))
        self.cuts += (np.flatnonzero(hit) + self.done).tolist()
        last = int(starts[-1])
        self.cut_at = next_cut(last, self.cell_bytes, self.marks.tolist())
        batch = scan.batch(lo, hi, self.line_no, signed, answers)
        self.offset = last + int(scan.line_end[hi - 1] - scan.line_start[hi - 1]) + 1
        self.line_no += hi - lo
        self.done += hi - lo
        return batch


class _Scan(FlatScan):
    """A scan of lines (``FlatScan``) and the FastBatches of its QA records with an id."""

    def __init__(self, data: bytes, count: int, max_line: int) -> None:
        super().__init__(data, count, max_line, spare=2)
        self.out[self.used:self.used + 2] = np.frombuffer(b'\n"', np.uint8)  # literals
        self.newline, self.quote = self.used, self.used + 1

    def good(self) -> np.ndarray:
        """The lines the flat converter surely makes a QA record of, with a string id."""
        return self.qa_records() & (self.types[:, SLOT["id"]] == STRING)

    def packed(self, parts: list[tuple[np.ndarray, np.ndarray]]) -> PackedTexts:
        """Per line, the ``(start, length)`` parts of ``out`` joined, as packed texts."""
        start = np.stack([p[0] for p in parts], axis=1).ravel()
        length = np.stack([p[1] for p in parts], axis=1).ravel()
        dst = np.empty(int(length.sum()), np.uint8)
        _jsonl.gather(self.out, start, length, dst)
        offsets = np.zeros(len(parts[0][0]) + 1, dtype=np.uint64)
        offsets[1:] = np.cumsum(sum(p[1] for p in parts))
        return PackedTexts(dst.tobytes(), offsets)

    def field(self, name: str, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        """(start, length) in ``out`` of the question or answer of the lines ``rows``."""
        slot = (self.question if name == "question" else self.answer)[rows]
        rows_at = self._rows[rows] + slot
        return self.starts.ravel()[rows_at], self.lengths.ravel()[rows_at]

    def batch(self, lo: int, hi: int, line_no: int, signed: Sequence[str],
              answers: bool) -> FastBatch:
        rows = slice(lo, hi)
        m = hi - lo
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        for name in signed:  # "\n".join of the fields, as text.pack_texts
            if parts:
                parts.append((np.full(m, self.newline), np.ones(m, np.int64)))
            parts.append(self.field(name, rows))
        texts = BatchTexts(self.packed(parts), self.packed([self.field("answer", rows)]) if answers else None)
        id_start, id_len = self.starts[rows, SLOT["id"]], self.lengths[rows, SLOT["id"]]
        quote = (np.full(m, self.quote), np.ones(m, np.int64))
        ids = self.packed([quote, (id_start, id_len), quote])
        # Only '"', '\\' and controls need escaping (orjson writes other text as is).
        clean = int(_ESCAPED[np.frombuffer(ids.data, np.uint8)].sum()) == 2 * m
        return FastBatch(np.arange(line_no + 1, line_no + m + 1, dtype=np.uint64),
                         self.raw_len[rows].astype(np.int64), ids, clean, texts)
