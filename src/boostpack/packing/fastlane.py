"""The fast lane: lines of a ``qa``/``text`` file (no field mapping) rendered into documents with
no Python object per line.

``csrc/jsonl.c`` validates each line as strictly as orjson and reports the fields the flat
converter (``ingestion.flat``) and the templates read: id, question, answer and text under their
aliases, the reasoning, and the optional fields the converter type-checks. A line is taken here
only when the converter's outcome is plain from those fields: a record (never a quarantine),
string question and answer (or a reference-answer list, whose first non-blank string is the
answer), no ``<think>`` block to split off, optional fields of the types the converter accepts
as they are. Its document is then assembled from the decoded strings (``_jsonl.gather``), and
ids that are missing are derived exactly as the converter derives them. Every other line goes
through ``ingestion``'s classifier, in order; the tests compare both paths line by line.

Reading qa_en this way took ~0.1 µs of Python per line instead of ~8 µs (parse, convert,
render), which is what lets pack keep up with the tokenizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from boostpack import _jsonl
from boostpack.ingestion.flatscan import (  # the scan's keys and constants, as dedup reads them
    A_SLOTS,
    ABSENT,
    ALL_SPACE,
    ARRAY,
    FAST,
    INT,
    KEYS,
    LEAD_SPACE,
    NAME_OFFSETS,
    NAMES,
    NULL,
    Q_SLOTS,
    R_SLOTS,
    REF,
    SLOT,
    STR_ITEMS,
    STRING,
    THINK,
)
from boostpack.ingestion.records import record_id
from boostpack.packing.config import PackConfig
from boostpack.packing.segments import SEGMENT_BYTES

if TYPE_CHECKING:
    from boostpack.ingestion.classify import Classifier
    from boostpack.packing.reading import _PieceReader

# Text the templates put between fields: appended after the decoded strings, gathered like them.
_LITERALS = (b"\n\n", b"<think>\n", b"\n</think>\n\n")
_ID_CHARS = 32  # a derived id: xxh3-128 in hex
# A block with more slow runs than this goes through the classifier whole: interleaving costs
# a few numpy calls per run.
_MAX_SLOW_RUNS = 64


def _first(types: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Per line, the first of ``slots`` whose key is present (an alias list in priority
    order); ``slots[0]`` where none is."""
    return slots[np.argmax(types[:, slots] != ABSENT, axis=1)]


def _types(*allowed: int) -> np.ndarray:
    """A lookup table: ``table[type]`` is whether ``type`` is one of ``allowed``."""
    table = np.zeros(8, dtype=bool)
    table[list(allowed)] = True
    return table


_NONE_OR_STRING = _types(ABSENT, NULL, STRING)
_NONE = _types(ABSENT, NULL)
_NONE_OR_INT = _types(ABSENT, NULL, INT)


class FastLane:
    """The fast lane of one run's config (``for_config`` gives None where it does not apply)."""

    def __init__(self, config: PackConfig) -> None:
        self.template = config.template
        self.loss_answer = config.loss_on == "answer"
        self.max_line = int(config.max_record_bytes)

    @classmethod
    def for_config(cls, config: PackConfig) -> FastLane | None:
        if config.template == "chat" or config.read.mapping or config.read.fmt not in (
                "auto", "qa", "text"):
            return None
        return cls(config)

    @staticmethod
    def ready(cls: Classifier) -> bool:
        """Whether the file's lines are read as flat records by now (its format is known)."""
        return cls.fmt in ("qa", "text") and cls.convert is not None

    def lines(self, reader: _PieceReader, data: bytes | bytearray, start: int, stop: int,
              offset: int, line_no: int) -> int:
        """Handle the lines of ``data[start:stop]`` (ending in a newline), at stream
        ``offset + start``, after ``line_no`` lines of the piece; returns how many there were."""
        raw = np.frombuffer(data, dtype=np.uint8)[start:stop]
        count = _jsonl.count_lines(raw)
        k = len(KEYS)
        line_end = np.empty(count, np.int64)
        kind = np.empty(count, np.uint8)
        types = np.empty(count * k, np.uint8)
        flags = np.empty(count * k, np.uint8)
        starts = np.empty(count * k, np.int64)
        lengths = np.empty(count * k, np.int64)
        literals = sum(map(len, _LITERALS))
        out = np.empty(len(raw) + literals + _ID_CHARS * count, np.uint8)
        _, used = _jsonl.scan(raw, NAMES, NAME_OFFSETS, self.max_line, line_end, kind, types,
                              flags, starts, lengths, out)
        fields = _Fields(types.reshape(count, k), flags.reshape(count, k),
                         starts.reshape(count, k), lengths.reshape(count, k), out, used)
        good = self._good(kind, fields, reader.setup.exact_cuts)
        slow = np.flatnonzero(np.diff(np.concatenate(([1], good.view(np.int8), [1]))) == -1)
        line_starts = np.concatenate(([0], line_end[:-1] + 1))
        if len(slow) > _MAX_SLOW_RUNS or not good.any():
            reader.slow_lines(bytes(data[start:stop]).split(b"\n")[:-1], offset + start, line_no)
            return count
        docs = _Documents(fields, good, self.template, self.loss_answer)
        # Runs of good lines become documents in one piece; the lines between go through the
        # classifier; both in line order.
        bounds = np.flatnonzero(np.diff(np.concatenate(([0], good.view(np.int8), [0]))))
        runs = bounds.reshape(-1, 2).tolist()  # [first, end) of each run of good lines
        doc_of_line = np.concatenate(([0], np.cumsum(docs.is_doc)))
        at = 0
        for first, end in [*runs, [count, count]]:
            if first > at:
                lo, hi = start + int(line_starts[at]), start + int(line_end[first - 1])
                reader.slow_lines(bytes(data[lo:hi]).split(b"\n"), offset + lo, line_no + at)
            if end > first:
                docs.add(reader, int(doc_of_line[first]), int(doc_of_line[end]),
                         int(good[first:end].sum()), int(docs.is_doc[first:end].sum()))
            at = end
        return count

    def _good(self, kind: np.ndarray, f: _Fields, exact_cuts: bool) -> np.ndarray:
        """Lines whose record and document the fast lane vouches for."""
        t, fl = f.types, f.flags
        q_slot, a_slot, r_slot = _first(t, Q_SLOTS), _first(t, A_SLOTS), _first(t, R_SLOTS)
        q_type, a_type = f.pick(t, q_slot), f.pick(t, a_slot)
        q_flags, a_flags = f.pick(fl, q_slot), f.pick(fl, a_slot)
        has_q, has_a = q_type != ABSENT, a_type != ABSENT
        text_type, text_flags = t[:, SLOT["text"]], fl[:, SLOT["text"]]
        ok_q = (q_type == STRING) & (q_flags & ALL_SPACE == 0)
        ok_a = (((a_type == STRING) & (a_flags & ALL_SPACE == 0))
                | ((a_type == ARRAY) & (a_flags & REF != 0))) & (a_flags & THINK == 0)
        ok_text = (text_type == STRING) & (text_flags & ALL_SPACE == 0)
        qa = has_q & has_a & ok_q & ok_a
        plain = ~has_q & ~has_a & ok_text
        r_type = f.pick(t, r_slot)
        id_type, id_len = t[:, SLOT["id"]], f.lengths[:, SLOT["id"]]
        disc, diff = t[:, SLOT["discipline"]], t[:, SLOT["difficulty"]]
        optional_ok = (
            _NONE_OR_STRING[r_type]
            & (_NONE[id_type] | ((id_type == STRING) & (id_len > 0)))
            & (_NONE_OR_STRING[disc]
               | ((disc == ARRAY) & (fl[:, SLOT["discipline"]] & STR_ITEMS != 0)))
            & _NONE_OR_INT[diff] & _NONE_OR_INT[t[:, SLOT["grade"]]]
            & _NONE_OR_STRING[t[:, SLOT["language"]]]
            & _NONE_OR_STRING[t[:, SLOT["system"]]])
        good = (kind == FAST) & optional_ok & (qa | plain)
        f.plan(qa, q_slot, a_slot, r_slot, r_type)
        total = f.total_length(self.template)
        if exact_cuts:  # long documents are cut into segments by the classifier's path
            good &= total <= SEGMENT_BYTES
        if self.loss_answer and self.template != "text":
            # The answer must start at an exact cut: a non-blank first character (qa+reasoning
            # with reasoning starts with "<think>").
            starts_blank = (a_flags & LEAD_SPACE != 0) & ~f.reasoning_rendered(self.template)
            good &= ~qa | (exact_cuts & ~starts_blank)
        return good


class _Fields:
    """The scan's per-line, per-key arrays, and the field each role takes per line."""

    def __init__(self, types: np.ndarray, flags: np.ndarray, starts: np.ndarray,
                 lengths: np.ndarray, out: np.ndarray, used: int) -> None:
        self.types, self.flags, self.starts, self.lengths = types, flags, starts, lengths
        self.out, self.used = out, used
        self._rows = np.arange(len(types)) * types.shape[1]

    def pick(self, values: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """Per line, ``values[line, slot[line]]``."""
        return values.ravel()[self._rows + slot]

    def plan(self, qa: np.ndarray, q_slot: np.ndarray, a_slot: np.ndarray, r_slot: np.ndarray,
             r_type: np.ndarray) -> None:
        text = SLOT["text"]
        self.qa = qa
        self.first = np.where(qa, q_slot, text)  # question, or a plain record's text
        self.answer = a_slot
        self.reasoning = r_slot
        self.has_reasoning = r_type == STRING
        self.spans = {role: self.span(slot) for role, slot in (
            ("first", self.first), ("answer", a_slot), ("reasoning", r_slot))}

    def span(self, slot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.pick(self.starts, slot), self.pick(self.lengths, slot)

    def reasoning_rendered(self, template: str) -> np.ndarray:
        if template != "qa+reasoning":
            return np.zeros(len(self.qa), dtype=bool)
        return self.qa & self.has_reasoning & (self.spans["reasoning"][1] > 0)

    def total_length(self, template: str) -> np.ndarray:
        first = self.spans["first"][1]
        answer = self.spans["answer"][1]
        think = self.reasoning_rendered(template)
        extra = len(_LITERALS[0]) + answer + np.where(
            think, self.spans["reasoning"][1] + len(_LITERALS[1]) + len(_LITERALS[2]), 0)
        return first + np.where(self.qa, extra, 0)


class _Documents:
    """The documents of a block's good lines, laid out as a DocBatch's arrays."""

    def __init__(self, f: _Fields, good: np.ndarray, template: str, loss_answer: bool) -> None:
        self.f = f
        self.is_doc = good & (~f.qa | (template != "text"))
        lines = np.flatnonzero(self.is_doc)
        qa, think = f.qa[lines], f.reasoning_rendered(template)[lines]
        out, at = f.out, f.used
        lit = []
        for text in _LITERALS:
            out[at:at + len(text)] = np.frombuffer(text, np.uint8)
            lit.append(at)
            at += len(text)
        ids = self._ids(lines, at)
        n = len(lines)
        start = np.zeros((n, 6), np.int64)
        length = np.zeros((n, 6), np.int64)
        start[:, 0], length[:, 0] = (a[lines] for a in f.spans["first"])
        r_start, r_len = (a[lines] for a in f.spans["reasoning"])
        a_start, a_len = (a[lines] for a in f.spans["answer"])
        start[:, 1], length[:, 1] = lit[0], np.where(qa, 2, 0)
        start[:, 2], length[:, 2] = lit[1], np.where(think, len(_LITERALS[1]), 0)
        start[:, 3], length[:, 3] = r_start, np.where(think, r_len, 0)
        start[:, 4], length[:, 4] = lit[2], np.where(think, len(_LITERALS[2]), 0)
        start[:, 5], length[:, 5] = a_start, np.where(qa, a_len, 0)
        self.text = np.empty(int(length.sum()), np.uint8)
        _jsonl.gather(out, start.ravel(), length.ravel(), self.text)
        two = qa & loss_answer
        seg = np.stack([np.where(two, length[:, :2].sum(1), length.sum(1)),
                        np.where(two, length[:, 2:].sum(1), -1)], axis=1).ravel()
        seg = seg[seg >= 0]
        self.seg_offsets = np.concatenate(([0], np.cumsum(seg))).astype(np.int64)
        nseg = np.where(two, 2, 1)
        self.doc_segs = np.concatenate(([0], np.cumsum(nseg))).astype(np.int64)
        self.prompt_segs = two.astype(np.int64)
        id_start, id_len = ids
        self.id_lengths = id_len.astype(np.uint64)
        self.ids = np.empty(int(id_len.sum()), np.uint8)
        _jsonl.gather(out, id_start, id_len, self.ids)
        self.id_offsets = np.concatenate(([0], np.cumsum(id_len))).astype(np.int64)

    def _ids(self, lines: np.ndarray, at: int) -> tuple[np.ndarray, np.ndarray]:
        """Record ids of the documents: the line's, or derived from the text fields as the
        converter derives them (written to the scan buffer from ``at``)."""
        f = self.f
        slot = SLOT["id"]
        start, length = f.starts[lines, slot].copy(), f.lengths[lines, slot].copy()
        missing = np.flatnonzero(f.types[lines, slot] != STRING)
        out = f.out
        for i in missing.tolist():
            line = lines[i]
            rid = record_id(self._record(int(line))).encode("ascii")
            out[at:at + len(rid)] = np.frombuffer(rid, np.uint8)
            start[i], length[i] = at, len(rid)
            at += len(rid)
        return start, length

    def _record(self, line: int) -> dict[str, Any]:
        """The fields ``record_id`` reads, of one line."""
        f = self.f

        def text(slot: int) -> str:
            s, n = int(f.starts[line, slot]), int(f.lengths[line, slot])
            return f.out[s:s + n].tobytes().decode("utf-8")

        record: dict[str, Any] = {}
        if f.qa[line]:
            record["question"] = text(int(f.first[line]))
            record["answer"] = text(int(f.answer[line]))
        else:
            record["text"] = text(SLOT["text"])
        if f.has_reasoning[line]:
            record["reasoning"] = text(int(f.reasoning[line]))
        return record

    def add(self, reader: _PieceReader, first: int, end: int, records: int, docs: int) -> None:
        """Documents ``first..end`` (a run of lines with ``records`` records) to the batch."""
        s0, s1 = int(self.doc_segs[first]), int(self.doc_segs[end])
        t0, t1 = int(self.seg_offsets[s0]), int(self.seg_offsets[s1])
        i0, i1 = int(self.id_offsets[first]), int(self.id_offsets[end])
        reader.builder.add_run(self.text[t0:t1], self.seg_offsets[s0:s1 + 1] - t0,
                               self.doc_segs[first:end + 1] - s0, self.prompt_segs[first:end],
                               self.ids[i0:i1], self.id_lengths[first:end])
        reader.builder.counts["records"] += records
        reader.builder.counts["empty_records"] += records - docs
