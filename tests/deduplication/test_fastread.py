"""Dedup's fast reader gives, line for line, what the classifier alone gives: the same records
(line numbers, JSON ids, compared texts, raw lengths), quarantine entries, blank lines, byte
counts and frame cuts, whatever the lines, the runs they come in, the frame cells and marks;
and a whole dedup run writes the same bytes with it as without."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boostpack.deduplication import sign
from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.fastread import FastBatch, fast_reader
from boostpack.deduplication.pipeline import dedup
from boostpack.deduplication.sign import json_ids
from boostpack.deduplication.text import batch_texts
from boostpack.ingestion.classify import Batch, Classifier, classify_runs
from boostpack.ingestion.readers import ReadOptions

TEXTS = st.sampled_from(["alpha beta gamma", "caf\u00e9 \U0001f600", ' "q" \\ \t', "  lead", " ", "",
                         "<think>x</think> y", "\u2028 line sep", "\x7f del"])


def _value(draw: Any) -> Any:
    return draw(st.one_of(TEXTS, TEXTS, st.integers(-3, 3), st.none(), st.booleans(),
                          st.floats(allow_nan=False, allow_infinity=False),
                          st.lists(TEXTS, max_size=2), st.lists(st.lists(TEXTS, max_size=2), max_size=2),
                          st.dictionaries(st.just("k"), TEXTS, max_size=1)))


@st.composite
def lines(draw: Any) -> bytes:
    """One input line: mostly flat QA objects, with every kind of trouble mixed in."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from([b"", b"  \t", b"{", b"[1]", b'"s"', b"\xff{}", b"{}", b'{"a":1}x',
                                     b'{"question":"q\\ud800","answer":"a","id":"1"}',
                                     b'{"question":"q","question":"p","answer":"a","id":"1"}',
                                     b'{"messages":[{"role":"user","content":"hi"}]}']))
    keys = ["id", "question", "answer", "prompt", "response", "text", "reasoning", "grade",
            "difficulty", "discipline", "language", "system", "extra", "orig_text", "answers"]
    obj: dict[str, Any] = {}
    if kind > 2:
        obj = {"id": draw(st.sampled_from(["a", "b\u00e9", 'q"', "c\\d", "\n", ""])),
               "question": draw(TEXTS), "answer": draw(TEXTS)}
    for key in draw(st.lists(st.sampled_from(keys), max_size=3)):
        obj[key] = _value(draw)
    line = json.dumps(obj, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return line + (b"\r" if draw(st.booleans()) else b"")


def _records(batches: list[Any], cfg: DedupConfig) -> tuple[list[Any], list[bytes], int, int, int]:
    """(per record: line, JSON id, signed text, answer, raw length), quarantine entries as
    JSON, blank lines, lines read, bytes read (as phase 1 counts them): the same whichever
    reader made the batches."""
    out, quarantined, empty, read, size = [], [], 0, 0, 0
    for b in batches:
        if isinstance(b, FastBatch):
            texts, n = b.texts, b.size
            ids = (b.ids.data if b.clean else json_ids([t[1:-1] for t in b.ids.texts])[0])
            lengths, read, size = b.lengths.tolist(), read + n, size + b.bytes_read
        else:
            assert isinstance(b, Batch)
            quarantined += [q.to_json() for q in b.quarantined]
            empty, read, size = empty + b.empty, read + b.lines_read, size + sign._bytes_read(b)
            if not b.records:
                continue
            texts, n = batch_texts(b.records, cfg.signed_fields, cfg.compares_answers), len(b.records)
            ids, lengths = json_ids([r["id"] for r in b.records])[0], list(map(len, b.raw))
        sig = texts.signed.texts
        ans = texts.answers.texts if texts.answers is not None else [""] * n
        out.append((ids, list(zip(np.asarray(b.lines).tolist(), sig, ans, lengths, strict=True))))
    return out, quarantined, empty, read, size


def _flat(records: list[Any]) -> tuple[bytes, list[Any]]:
    return b"".join(r[0] for r in records), [x for r in records for x in r[1]]


@settings(max_examples=300, deadline=None)
@given(st.lists(lines(), max_size=40), st.data(), st.sampled_from(["auto", "qa"]),
       st.sampled_from(["question,answer", "question", "answer,question"]), st.booleans())
def test_fast_reader_reads_as_the_classifier(body: list[bytes], data: Any, fmt: str, fields: str,
                                             answer_check: bool) -> None:
    bom = data.draw(st.booleans())
    if bom and body:
        body[0] = b"\xef\xbb\xbf" + body[0]
    start = data.draw(st.sampled_from([0, 0, 7, 100]))
    if start and fmt == "auto":
        start = 0  # a part past the start has its format (splits.plan_splits)
    cell = data.draw(st.sampled_from([0, 16, 50, 333]))
    marks = sorted(set(data.draw(st.lists(st.integers(start + 1, start + 3000), max_size=4))))
    cuts_at = sorted(set(data.draw(st.lists(st.integers(0, len(body)), max_size=4))))
    runs: list[list[bytes]] = [body[a:b] for a, b in zip([0, *cuts_at], [*cuts_at, len(body)], strict=True)]
    runs = [r for r in runs if r]
    batch_lines = data.draw(st.sampled_from([1, 3, 8192]))
    cfg = DedupConfig(fields=fields, answer_check=answer_check)
    options = ReadOptions(fmt=fmt, max_record_bytes=data.draw(st.sampled_from([None, 60])))
    got = {}
    for name, classify in (("slow", classify_runs), ("fast", fast_reader(cfg, options))):
        cuts: list[int] = []
        batches = list(classify(Classifier("f.jsonl", options), iter(runs), batch_lines, start,
                                cell, cuts, marks))
        records, *rest = _records(batches, cfg)
        got[name] = (_flat(records), *rest, cuts)
    assert got["fast"] == got["slow"]


def test_fast_reader_applies_only_when_it_reads_all_a_record_needs() -> None:
    plain = ReadOptions()
    assert fast_reader(DedupConfig(), plain) is not classify_runs
    for cfg, options in ((DedupConfig(keep_max="score"), plain),
                         (DedupConfig(fields="question,title"), plain),
                         (DedupConfig(), ReadOptions(strict=True)),
                         (DedupConfig(), ReadOptions(mapping={"question": "q"})),
                         (DedupConfig(), ReadOptions(fmt="chat"))):
        assert fast_reader(cfg, options) is classify_runs


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.zst"])
def test_dedup_writes_the_same_bytes_without_the_fast_reader(tmp_path: Path, suffix: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    rows = []
    for i in range(600):
        q = " ".join(rng.choice(words, 10))
        rows.append(json.dumps({"id": f"r{i}", "question": q, "answer": "yes"}).encode())
        if i % 7 == 0:
            rows.append(rows[int(rng.integers(len(rows)))])  # an exact copy (same id)
        if i % 50 == 3:
            rows += [b"", b"{bad", b'{"id":"x","question":3,"answer":"a"}\r']
    data = b"\xef\xbb\xbf" + b"\n".join(rows) + b"\n"
    path = tmp_path / f"in{suffix}"
    if suffix.endswith(".zst"):
        import zstandard

        # Frames of ~8 KB, each recording its size: split by frame into several tasks.
        cctx = zstandard.ZstdCompressor(write_content_size=True)
        path.write_bytes(b"".join(cctx.compress(data[i:i + 8192]) for i in range(0, len(data), 8192)))
    else:
        path.write_bytes(data)
    outputs = {}
    for name in ("fast", "slow"):
        if name == "slow":
            monkeypatch.setattr(sign, "fast_reader", lambda cfg, options: classify_runs)
        out = tmp_path / name
        report = dedup([path], out, workers=1, split_bytes=8192, batch_lines=100, frame_bytes=8192,
                       progress=False)
        for key in ("timings", "mb_per_s", "execution"):
            report.pop(key, None)
        files = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*"))
                 if p.is_file() and p.name != "report.json"}
        outputs[name] = (report, files)
    assert outputs["fast"] == outputs["slow"]
    assert outputs["fast"][0]["removed"] > 0 and outputs["fast"][0]["quarantined"] > 0


def test_plain_qa_lines_take_the_fast_reader() -> None:
    qa = [json.dumps({"id": f"r{i}", "question": f"q {i}", "answer": "a"}).encode() for i in range(9)]
    options = ReadOptions()
    batches = list(fast_reader(DedupConfig(), options)(Classifier("f.jsonl", options),
                                                        iter([qa[:3], qa[3:], [b"{bad"]]), 8192))
    # The first run detects the format; the next one is taken whole; the bad line is not.
    assert [type(b).__name__ for b in batches] == ["Batch", "FastBatch", "Batch"]
    assert batches[1].lines.tolist() == list(range(4, 10)) and batches[2].quarantined[0].line == 10
