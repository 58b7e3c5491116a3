"""Flat JSON lines scanned in C (``csrc/jsonl.c``), with no Python object per line: where the
fields of each line are, decoded, and which lines the flat converter (``ingestion.flat``)
surely makes a QA record of, so a stage can take those from the scan and leave every other line
to the classifier.

The scan validates each line as strictly as orjson and reports the keys of ``KEYS``: id,
question and answer under their aliases, text, and every optional field whose value the
converter checks (``records.optional_value``); a wanted key twice makes the line slow. A line
is vouched for (``FlatScan.qa_records``) when the converter's outcome is plain from those
fields: a record (never a quarantine), with string question and answer (or a reference-answer
list, whose first non-blank string is the answer), not blank, no ``<think>`` block to split
off, an id that is a non-empty string or none (then derived), and optional fields of types
the converter keeps as they are.
"""

from __future__ import annotations

import numpy as np

from boostpack import _jsonl
from boostpack.ingestion.fields import OPTIONAL_ALIASES, QA_ALIASES

# Constants of csrc/jsonl.h.
FAST, SLOW, BLANK = 0, 1, 2
ABSENT, NULL, STRING, INT, NUMBER, BOOL, ARRAY, OBJECT = range(8)
ALL_SPACE, LEAD_SPACE, THINK, STR_ITEMS, REF = 1, 2, 4, 8, 16

_QUESTION, _ANSWER = QA_ALIASES["question"], QA_ALIASES["answer"]
_REASONING = OPTIONAL_ALIASES["reasoning"]
KEYS = ("id", *_QUESTION, *_ANSWER, "text", *_REASONING, "discipline", "difficulty", "grade",
        "language", "system")
SLOT = {name: i for i, name in enumerate(KEYS)}
Q_SLOTS = np.array([SLOT[k] for k in _QUESTION])
A_SLOTS = np.array([SLOT[k] for k in _ANSWER])
R_SLOTS = np.array([SLOT[k] for k in _REASONING])
NAMES = np.frombuffer("".join(KEYS).encode(), dtype=np.uint8)
NAME_OFFSETS = np.concatenate([[0], np.cumsum([len(k) for k in KEYS])]).astype(np.int64)


def types_table(*allowed: int) -> np.ndarray:
    """A lookup table: ``table[type]`` is whether ``type`` is one of ``allowed``."""
    table = np.zeros(8, dtype=bool)
    table[list(allowed)] = True
    return table


_NONE = types_table(ABSENT, NULL)
_NONE_OR_STRING = types_table(ABSENT, NULL, STRING)
_LEVEL = types_table(ABSENT, NULL, STRING, INT)  # records.level_value keeps these as they are


class FlatScan:
    """``_jsonl.scan`` of ``count`` lines (``data``: the lines, each with its ``\\n``). Per line:
    ``line_start``/``line_end`` (of its newline) in ``data``, ``raw_len`` (what
    ``classify.Batch.raw`` holds: one CR before the newline dropped), ``kind``; per line and
    key of ``KEYS`` (``SLOT``): ``types``, ``flags``, and the decoded text of string values at
    ``out[starts:starts + lengths]``. ``out`` has ``spare`` free bytes from ``used`` on."""

    def __init__(self, data: bytes, count: int, max_line: int, spare: int = 0) -> None:
        k = len(KEYS)
        raw = np.frombuffer(data, dtype=np.uint8)
        self.line_end = np.empty(count, np.int64)
        self.kind = np.empty(count, np.uint8)
        types, flags = np.empty(count * k, np.uint8), np.empty(count * k, np.uint8)
        starts, lengths = np.empty(count * k, np.int64), np.empty(count * k, np.int64)
        self.out = np.empty(len(raw) + spare, np.uint8)
        n, self.used = _jsonl.scan(raw, NAMES, NAME_OFFSETS, max_line or len(raw), self.line_end,
                                   self.kind, types, flags, starts, lengths, self.out)
        if n != count:
            raise ValueError(f"data holds {n} lines, not {count}")
        self.types, self.flags = types.reshape(count, k), flags.reshape(count, k)
        self.starts, self.lengths = starts.reshape(count, k), lengths.reshape(count, k)
        self.line_start = np.concatenate(([0], self.line_end[:-1] + 1))
        cr = raw[np.maximum(self.line_end - 1, 0)] == 13
        self.raw_len = self.line_end - self.line_start - (cr & (self.line_end > self.line_start))
        self._rows = np.arange(count) * k

    def pick(self, values: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """Per line, ``values[line, slot[line]]``."""
        return values.ravel()[self._rows + slot]

    def first(self, slots: np.ndarray) -> np.ndarray:
        """Per line, the first of ``slots`` whose key is present (alias priority order)."""
        return slots[np.argmax(self.types[:, slots] != ABSENT, axis=1)]

    def qa_records(self) -> np.ndarray:
        """The lines the flat converter surely makes a QA record of (module docstring); sets
        ``question``/``answer``: per line, the slot each is taken from."""
        t, fl = self.types, self.flags
        self.question, self.answer = q, a = self.first(Q_SLOTS), self.first(A_SLOTS)
        q_type, a_type, q_flags, a_flags = self.pick(t, q), self.pick(t, a), self.pick(fl, q), self.pick(fl, a)
        ok_q = (q_type == STRING) & (q_flags & ALL_SPACE == 0)
        ok_a = (((a_type == STRING) & (a_flags & ALL_SPACE == 0))
                | ((a_type == ARRAY) & (a_flags & REF != 0))) & (a_flags & THINK == 0)
        disc, rid = t[:, SLOT["discipline"]], t[:, SLOT["id"]]
        optional_ok = (
            (_NONE[rid] | ((rid == STRING) & (self.lengths[:, SLOT["id"]] > 0)))  # "" is refused
            & _NONE_OR_STRING[self.pick(t, self.first(R_SLOTS))]
            & (_NONE_OR_STRING[disc] | ((disc == ARRAY) & (fl[:, SLOT["discipline"]] & STR_ITEMS != 0)))
            & _LEVEL[t[:, SLOT["difficulty"]]] & _LEVEL[t[:, SLOT["grade"]]]
            & _NONE_OR_STRING[t[:, SLOT["language"]]] & _NONE_OR_STRING[t[:, SLOT["system"]]])
        return (self.kind == FAST) & ok_q & ok_a & optional_ok
