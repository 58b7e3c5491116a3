"""Any number of realistic synthetic QA records, streamed: the input of dedup's scale benchmark.

The demo's items (``items``) are few and template-shaped; a scale run needs millions of records
that are nearly all distinct, about 2.1 KB each, the length of synthesized QA with a worked
answer (~680 Llama-3 tokens: numbers and symbols make the templates' text dense in tokens). So the templates seed a word-level Markov chain of order 2 (every pair
of consecutive words of ``_CORPUS_ITEMS`` English items, questions and answers apart), and each
record is a fresh walk: a question of 40-90 words and an answer of 230-400, in the templates'
vocabulary, numbers and layout, but no two walks alike. Like real generator output within one
domain, records share many short phrases, so MinHash-LSH sees the chance band collisions it
would see on real QA; that is what makes clustering cost grow with N.

Planted on top, at rates ``EXACT_SHARE`` and ``NEAR_SHARE``: exact copies (a new id, the same
text) and near copies of a recent record (one of ``_RECENT`` kept, each slot replaced at random),
the latter edited as a paraphrase is: a share ``_EDIT_SHARE`` of the answer's words (and half
the time of the question's) deleted, swapped with a neighbour, replaced by another word of the
vocabulary, or given one of the demo's small edits (``variants.near_edit``: synonym, case,
punctuation). Most near copies stay above dedup's default threshold; a few of the most edited
fall below it, as real paraphrases do.

Walks are drawn in batches of ``_BATCH`` records, each from ``numpy.random.default_rng((seed,
batch))``, so the stream is deterministic for a seed and memory is bounded by one batch plus
the recent records, whatever ``n``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import zstandard

from boostpack.demo.sample.framing import render
from boostpack.demo.sample.items import draw_raw_item
from boostpack.demo.sample.variants import near_edit
from boostpack.runtime.atomic import atomic_write

EXACT_SHARE, NEAR_SHARE = 0.03, 0.07
_CORPUS_ITEMS = 4000
_BATCH = 4096
_SLOTS = 64
_RECENT = 8192
_EDIT_SHARE = (0.02, 0.12)  # per near copy, a share of its words edited, drawn uniformly
_Q_WORDS, _A_WORDS = (40, 90), (230, 400)
_FRAME = 16 << 20  # decompressed bytes per zstd frame: readers can split the file by frame

class _Chain:
    """An order-2 word Markov chain as flat arrays, so a whole batch of walks steps at once.

    State ``s`` is a pair of consecutive words. ``table[s, j]`` is the transition taken when a
    uniform draw falls in slot ``j`` of ``_SLOTS``: successors get slots in proportion to how
    often they follow ``s`` (to 1/``_SLOTS``: a successor rarer than that may never be drawn),
    so a step is one gather. Transition ``t`` emits ``word[t]`` and moves to ``next_state[t]``.
    Texts are chained end to start in a ring, so every state has a successor.
    """

    def __init__(self, texts: list[list[str]], vocab: dict[str, int]) -> None:
        tokens = [vocab.setdefault(w, len(vocab)) for text in texts for w in text]
        n = len(tokens)
        counts: dict[tuple[int, int, int], int] = {}
        for i in range(n):
            key = (tokens[i], tokens[(i + 1) % n], tokens[(i + 2) % n])
            counts[key] = counts.get(key, 0) + 1
        states: dict[tuple[int, int], int] = {}
        for a, b, _ in sorted(counts):
            states.setdefault((a, b), len(states))
        trans = sorted(counts.items(), key=lambda kv: (states[kv[0][:2]], kv[0][2]))
        src = np.array([states[k[:2]] for k, _ in trans], dtype=np.int64)
        weight = np.array([c for _, c in trans], dtype=np.float64)
        self.word = np.array([k[2] for k, _ in trans], dtype=np.int32)
        self.next_state = np.array([states[(k[1], k[2])] for k, _ in trans], dtype=np.int32)
        totals = np.bincount(src, weight)
        within = np.cumsum(weight) - np.repeat(np.cumsum(totals) - totals, np.bincount(src))
        cum = src + within / totals[src]
        ends = np.r_[np.flatnonzero(np.diff(src)), len(src) - 1]
        cum[ends] = src[ends] + 1.0  # exactly, so no slot of a state falls past its row
        self.states = len(states)
        slots = np.arange(self.states)[:, None] + (np.arange(_SLOTS) + 0.5) / _SLOTS
        self.table = np.searchsorted(cum, slots).astype(np.int32)

    def walks(self, rng: np.random.Generator, count: int, length: int) -> np.ndarray:
        """int32[count, length]: word ids of ``count`` walks from random states."""
        out = np.empty((count, length), dtype=np.int32)
        state = rng.integers(0, self.states, count)
        for step in range(length):
            t = self.table[state, rng.integers(0, _SLOTS, count)]
            out[:, step] = self.word[t]
            state = self.next_state[t]
        return out


class _Words:
    """The vocabulary as one byte string of JSON-escaped words, each followed by a space, so the
    text of a walk is a gather of byte ranges, already valid inside a JSON string."""

    def __init__(self, vocab: dict[str, int]) -> None:
        escaped = [orjson.dumps(w)[1:-1] + b" " for w in vocab]
        self.lengths = np.array([len(w) for w in escaped], dtype=np.int64)
        self.starts = np.cumsum(self.lengths) - self.lengths
        self.blob = np.frombuffer(b"".join(escaped), dtype=np.uint8)
        self.text = list(vocab)

    def join(self, ids: np.ndarray, counts: np.ndarray) -> tuple[bytes, np.ndarray]:
        """The texts of ``counts[i]`` words ``ids[i, :counts[i]]``, in one buffer, and the
        ``int64[len(counts) + 1]`` offsets of each text in it (with its trailing space)."""
        flat = ids[np.arange(ids.shape[1]) < counts[:, None]]
        lengths = self.lengths[flat]
        out_starts = np.cumsum(lengths) - lengths
        gather = np.repeat(self.starts[flat] - out_starts, lengths) + np.arange(int(lengths.sum()))
        word_end = np.r_[0, np.cumsum(counts)]
        offsets = np.r_[0, np.cumsum(lengths)][word_end]
        return self.blob[gather].tobytes(), offsets


@functools.cache
def _model() -> tuple[_Chain, _Chain, _Words, list[bytes]]:
    """The question chain, the answer chain, their words, and the discipline paths (as JSON):
    built once per process from ``_CORPUS_ITEMS`` of the demo's items (about a second)."""
    r = random.Random(20260)  # the chain is part of the generator: one corpus for every seed
    questions, answers, paths = [], [], []
    while len(questions) < _CORPUS_ITEMS:
        item, _ = draw_raw_item(r)
        item.pop("key", None)
        item = render(r, item, worked=True)
        if item["language"] != "en":
            continue  # Chinese has no spaces between words: a word chain would not fit it
        questions.append(item["question"].split(" "))
        answers.append(item["answer"].split(" "))
        paths.append(orjson.dumps("/".join(item["discipline"])))
    vocab: dict[str, int] = {}
    question, answer = _Chain(questions, vocab), _Chain(answers, vocab)
    return question, answer, _Words(vocab), paths


class QAStream:
    """The JSON lines of ``n`` records for ``seed`` (module docstring); ``kinds`` after a full
    iteration counts ``base``, ``exact`` and ``near`` records."""

    def __init__(self, n: int, seed: int = 0) -> None:
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        self.n, self.seed = n, seed
        self._question, self._answer, self._words, self._paths = _model()
        self.kinds = {"base": 0, "exact": 0, "near": 0}

    def __iter__(self) -> Iterator[tuple[bytes, str, int | None]]:
        """``(JSON line, kind, number of the copied record or None)`` for each record."""
        recent: list[tuple[int, bytes]] = []
        self.kinds = dict.fromkeys(self.kinds, 0)
        for batch, first in enumerate(range(0, self.n, _BATCH)):
            rng = np.random.default_rng((self.seed, batch))
            edits = random.Random(f"{self.seed}/{batch}")
            # A whole batch is drawn even at the end, so a stream is a prefix of a longer one.
            kind_draw = rng.random(_BATCH)
            q, q_off = self._texts(rng, self._question, _BATCH, _Q_WORDS)
            a, a_off = self._texts(rng, self._answer, _BATCH, _A_WORDS)
            paths = rng.integers(0, len(self._paths), _BATCH)
            for i in range(min(_BATCH, self.n - first)):
                number = first + i
                rid = b'{"id":"qa-%d-%010d",' % (self.seed, number)
                kind, of = "base", None
                if recent and kind_draw[i] < EXACT_SHARE + NEAR_SHARE:
                    of, orig = recent[edits.randrange(len(recent))]
                    kind = "exact" if kind_draw[i] < EXACT_SHARE else "near"
                    line = rid + orig[orig.index(b",") + 1:]
                    if kind == "near":
                        record = orjson.loads(line)
                        record["answer"] = self._paraphrase(edits, record["answer"])
                        if edits.random() < 0.5:
                            record["question"] = self._paraphrase(edits, record["question"])
                        line = orjson.dumps(record) + b"\n"
                else:
                    line = b"".join((rid, b'"question":"', q[q_off[i]:q_off[i + 1] - 1],
                                     b'","answer":"', a[a_off[i]:a_off[i + 1] - 1],
                                     b'","discipline":', self._paths[paths[i]],
                                     b',"language":"en","source":"boostpack-synthetic"}\n'))
                self.kinds[kind] += 1
                if len(recent) < _RECENT:
                    recent.append((number, line))
                else:
                    recent[edits.randrange(_RECENT)] = (number, line)
                yield line, kind, of

    def _texts(self, rng: np.random.Generator, chain: _Chain, count: int,
               words: tuple[int, int]) -> tuple[bytes, np.ndarray]:
        ids = chain.walks(rng, count, words[1])
        return self._words.join(ids, rng.integers(words[0], words[1] + 1, count))

    def _paraphrase(self, r: random.Random, text: str) -> str:
        """``text`` with a share of its words edited (module docstring); never ``text`` itself."""
        words = text.split(" ")
        vocab = self._words.text
        for _ in range(max(1, round(len(words) * r.uniform(*_EDIT_SHARE)))):
            i = r.randrange(len(words))
            op = r.randrange(4)
            if op == 0 and len(words) > 8:
                del words[i]
            elif op == 1 and i + 1 < len(words):
                words[i], words[i + 1] = words[i + 1], words[i]
            elif op == 2:
                words[i] = vocab[r.randrange(len(vocab))]
            else:
                words[i] = near_edit(r, words[i] or "x", zh=False)[0]
        out = " ".join(words)
        return out if out != text else near_edit(r, text, zh=False)[0]


def write_qa(path: str | Path, n: int, seed: int = 0, max_bytes: int | None = None) -> dict[str, int]:
    """Write the records of ``QAStream(n, seed)`` as JSONL atomically (``.jsonl.zst``: zstd
    frames of ``_FRAME`` bytes, each with its size, so readers split the file by frame),
    stopping early once ``max_bytes`` are written; return ``{"records", "bytes", "base",
    "exact", "near"}``, ``bytes`` the decompressed size."""
    path = Path(path)
    stream = QAStream(n, seed)
    cctx = zstandard.ZstdCompressor(level=3) if path.name.endswith(".zst") else None
    written = records = 0
    with atomic_write(path, "wb") as f:
        pending: list[bytes] = []
        size = 0
        for line, _, _ in stream:
            pending.append(line)
            size += len(line)
            records += 1
            done = max_bytes is not None and written + size >= max_bytes
            if size >= _FRAME or done:
                data = b"".join(pending)
                f.write(cctx.compress(data) if cctx else data)
                written += size
                pending, size = [], 0
            if done:
                break
        if pending:
            data = b"".join(pending)
            f.write(cctx.compress(data) if cctx else data)
            written += size
    return {"records": records, "bytes": written, **stream.kinds}
