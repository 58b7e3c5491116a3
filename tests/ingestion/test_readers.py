"""Readers: every input format, every bad-input case, compression, Parquet, counts that add up."""

from __future__ import annotations

import gzip
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import (
    Batch,
    ReadOptions,
    expand_inputs,
    read_batches,
    read_records,
)


def _write(path: Path, lines: list[bytes], end: bytes = b"\n") -> Path:
    path.write_bytes(b"".join(line + end for line in lines))
    return path


def _read(path: Path, options: ReadOptions | None = None, batch_lines: int = 8192) -> Batch:
    """All batches of a file merged into one (for assertions)."""
    merged = Batch(str(path))
    for b in read_batches(path, options or ReadOptions(), batch_lines):
        assert b.lines_read == len(b.records) + len(b.quarantined) + b.empty
        merged.records += b.records
        merged.raw += b.raw
        merged.lines += b.lines
        merged.quarantined += b.quarantined
        merged.empty += b.empty
        merged.lines_read += b.lines_read
        merged.format = b.format
    return merged


def _j(obj: Any) -> bytes:
    return orjson.dumps(obj)


# --- formats -----------------------------------------------------------------------------------

def test_flat_qa_aliases_and_optional_fields(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.jsonl", [
        _j({"id": "x1", "question": "Q1", "answer": "A1", "discipline": "STEM > Physics",
            "difficulty": 4, "generator": "g", "custom": {"k": 1}}),
        _j({"prompt": "Q2", "response": "<think>hmm</think>\nA2"}),
        _j({"instruction_like": 1, "problem": "Q3", "solution": "A3"}),
    ])
    b = _read(p)
    assert b.format == "qa"
    r1, r2, r3 = b.records
    assert r1 == {"id": "x1", "question": "Q1", "answer": "A1", "discipline": ["STEM", "Physics"],
                  "difficulty": 4, "generator": "g", "custom": {"k": 1}}
    assert (r2["question"], r2["answer"], r2["reasoning"]) == ("Q2", "A2", "hmm")
    assert "prompt" not in r2 and len(r2["id"]) == 32  # consumed, id derived
    assert (r3["question"], r3["answer"], r3["instruction_like"]) == ("Q3", "A3", 1)


def test_mapping_with_dotted_paths_and_collisions(tmp_path: Path) -> None:
    p = _write(tmp_path / "m.jsonl", [
        _j({"q": "Q", "meta": {"resp": "A", "subject": "Math/Algebra"}, "question": "other"}),
    ])
    opts = ReadOptions(mapping={"question": "q", "answer": "meta.resp",
                                "discipline": "meta.subject"})
    (r,) = _read(p, opts).records
    assert (r["question"], r["answer"], r["discipline"]) == ("Q", "A", ["Math", "Algebra"])
    assert r["orig_question"] == "other"
    assert r["meta"] == {"resp": "A", "subject": "Math/Algebra"}  # dotted sources are copied
    assert "q" not in r  # a top-level source is moved


def test_mapping_and_format_are_validated() -> None:
    with pytest.raises(InvalidInput, match="unknown canonical field"):
        ReadOptions(mapping={"questoin": "prompt"})
    with pytest.raises(InvalidInput, match="unknown format"):
        ReadOptions(fmt="csv")
    with pytest.raises(InvalidInput, match="requests file not found"):
        ReadOptions(requests=("/nonexistent/batch_input.jsonl",))


def test_chat_single_and_multi_turn(tmp_path: Path) -> None:
    p = _write(tmp_path / "c.jsonl", [
        _j({"id": "c1", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Q1"},
            {"role": "assistant", "content": "A1", "reasoning_content": "R1"}],
            "discipline": ["STEM"]}),
        _j({"messages": [
            {"role": "user", "content": [{"type": "text", "text": "Q2"}]},
            {"role": "assistant", "content": "A2"},
            {"role": "user", "content": "follow-up"},
            {"role": "assistant", "content": "A3"}]}),
        _j({"conversations": [{"from": "human", "value": "Q4"}, {"from": "gpt", "value": "A4"}]}),
        _j({"messages": [{"role": "user", "content": "no reply"}]}),
        _j({"messages": "not a list"}),
        _j({"id": "c6"}),
    ])
    b = _read(p)
    assert b.format == "chat"
    r1, r2, r4 = b.records
    assert r1 == {"id": "c1", "question": "Q1", "answer": "A1", "reasoning": "R1",
                  "system": "Be brief.", "discipline": ["STEM"]}
    assert (r2["question"], r2["answer"]) == ("Q2", "A2")
    assert len(r2["messages"]) == 4  # later turns: the whole conversation is kept
    assert (r4["question"], r4["answer"]) == ("Q4", "A4") and "messages" not in r4
    assert [q.reason for q in b.quarantined] == ["missing_field:answer", "wrong_type:messages",
                                                 "missing_field:messages"]


def _batch_line(custom_id: str, content: str, **message: Any) -> bytes:
    return _j({"id": "batch_req_1", "custom_id": custom_id, "response": {
        "status_code": 200, "request_id": "r", "body": {
            "model": "m-1", "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": content,
                                                     **message}}]}}, "error": None})


def test_openai_batch_output(tmp_path: Path) -> None:
    requests = _write(tmp_path / "req.jsonl", [
        _j({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {
            "model": "m-1", "messages": [{"role": "system", "content": "S"},
                                         {"role": "user", "content": "Qa"}]}}),
        b"garbage",
    ])
    out = _write(tmp_path / "out.jsonl", [
        _batch_line("a", "Aa", reasoning_content="Ra"),
        _batch_line("b", "Ab"),  # not in the requests file
        _j({"custom_id": "c", "response": None, "error": {
            "code": "batch_expired", "message": "This request could not be executed."}}),
        _j({"custom_id": "d", "response": {"status_code": 400, "body": {
            "error": {"code": "invalid_prompt", "message": "bad prompt"}}}, "error": None}),
        _j({"custom_id": "e", "response": {"status_code": 200, "body": {"choices": [
            {"message": {"content": "cut"}, "finish_reason": "length"}]}}, "error": None}),
        _j({"custom_id": "f", "request": {"body": {"messages": [{"role": "user", "content": "Qf"}]}},
            "response": {"status_code": 200, "body": {"choices": [
                {"message": {"content": "Af"}, "finish_reason": "stop"}]}}}),
    ])
    b = _read(out, ReadOptions(requests=(requests,)))
    assert b.format == "openai_batch"
    ra, rf = b.records
    assert ra == {"id": "a", "question": "Qa", "answer": "Aa", "reasoning": "Ra", "system": "S",
                  "generator": "m-1", "orig_id": "batch_req_1"}
    assert (rf["id"], rf["question"], rf["answer"]) == ("f", "Qf", "Af")
    reasons = [(q.line, q.reason, q.detail) for q in b.quarantined]
    assert reasons == [(2, "no_request", "custom_id 'b' is in no requests file"),
                       (3, "batch_error:batch_expired", "This request could not be executed."),
                       (4, "batch_error:invalid_prompt", "bad prompt"),
                       (5, "truncated_answer", "")]
    # Without the requests file nothing is guessed: line 1 has no question either.
    q = _read(out).quarantined[0]
    assert q.reason == "missing_field:question" and "--requests" in q.detail


def test_openai_batch_request_metadata_is_carried(tmp_path: Path) -> None:
    meta = {"discipline": "STEM/Physics", "difficulty": "3", "source": "seed-v2", "batch": "7",
            "id": "theirs"}
    requests = _write(tmp_path / "req.jsonl", [
        _j({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {
            "model": "m-1", "metadata": meta, "messages": [{"role": "user", "content": "Qa"}]}}),
        _j({"custom_id": "b", "body": {"metadata": {"difficulty": "hard"},
                                       "messages": [{"role": "user", "content": "Qb"}]}}),
    ])
    out = _write(tmp_path / "out.jsonl", [
        _batch_line("a", "Aa"),
        _j({"custom_id": "b", "difficulty": 5, "batch": "own", "error": None,
            "response": {"status_code": 200, "body": {"choices": [{"message": {"content": "Ab"}}]}}}),
    ])
    ra, rb = _read(out, ReadOptions(requests=(requests,))).records
    assert ra == {"id": "a", "question": "Qa", "answer": "Aa", "discipline": ["STEM", "Physics"],
                  "difficulty": "3", "source": "seed-v2", "generator": "m-1",
                  "orig_id": "batch_req_1", "batch": "7", "orig_orig_id": "theirs"}
    # The line's own fields keep their names; the request's go beside them.
    assert (rb["difficulty"], rb["batch"], rb["orig_difficulty"]) == (5, "own", "hard")


def test_openai_batch_other_endpoints(tmp_path: Path) -> None:
    def line(custom_id: str, body: dict) -> bytes:
        return _j({"custom_id": custom_id, "question": "Q", "error": None,
                   "response": {"status_code": 200, "body": body}})

    p = _write(tmp_path / "o.jsonl", [
        line("responses", {"model": "m", "status": "completed", "output": [
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "thought"}]},
            {"type": "message", "content": [{"type": "output_text", "text": "Ans"}]}]}),
        line("completions", {"choices": [{"text": "Legacy", "finish_reason": "stop"}]}),
        line("incomplete", {"status": "incomplete", "output": []}),
        line("empty", {"output": [{"type": "message", "content": []}]}),
    ])
    b = _read(p)
    assert [(r["id"], r["answer"], r.get("reasoning")) for r in b.records] == [
        ("responses", "Ans", "thought"), ("completions", "Legacy", None)]
    assert [q.reason for q in b.quarantined] == ["truncated_answer", "missing_field:answer"]


def test_alpaca(tmp_path: Path) -> None:
    p = _write(tmp_path / "al.jsonl", [
        _j({"instruction": "Translate to French.", "input": "cat", "output": "chat"}),
        _j({"instruction": "Name a prime.", "input": "", "output": "7"}),
        _j({"instruction": "No output"}),
    ])
    b = _read(p)
    assert b.format == "alpaca"
    assert [(r["question"], r["answer"]) for r in b.records] == [
        ("Translate to French.\n\ncat", "chat"), ("Name a prime.", "7")]
    assert "input" not in b.records[0]
    assert b.quarantined[0].reason == "missing_field:output"


def test_text_records_and_format_override(tmp_path: Path) -> None:
    p = _write(tmp_path / "t.jsonl", [_j({"text": "hello world", "url": "u"}), _j({"text": ""})])
    b = _read(p)
    assert b.format == "text"
    assert b.records[0]["text"] == "hello world" and b.records[0]["url"] == "u"
    assert b.quarantined[0].reason == "empty_field:text"
    forced = _read(p, ReadOptions(fmt="chat"))
    assert forced.format == "chat" and not forced.records


def test_auto_detection_skips_unknown_objects_until_a_format_is_seen(tmp_path: Path) -> None:
    p = _write(tmp_path / "u.jsonl", [_j({"foo": 1}), _j({"question": "Q", "answer": "A"}),
                                       _j({"foo": 2})])
    b = _read(p)
    assert [(q.line, q.reason) for q in b.quarantined] == [(1, "unknown_format"),
                                                          (3, "missing_field:question")]
    assert b.lines == [2]


# --- bad input, line handling ------------------------------------------------------------------

def test_every_bad_line_is_quarantined_with_location(tmp_path: Path) -> None:
    good = _j({"question": "Q", "answer": "A"})
    lines = [good, b'{"question": "Q", "answ', b"[1, 2]", b'"just a string"', b"\xff\xfe{}",
             b"", b"   ", b'{"question": "Q"}', b'{"question": 1, "answer": "A"}', good]
    p = _write(tmp_path / "bad.jsonl", lines)
    data = p.read_bytes()
    b = _read(p)
    assert b.lines == [1, 10] and b.empty == 2 and b.lines_read == 10
    assert [(q.line, q.reason) for q in b.quarantined] == [
        (2, "invalid_json"), (3, "not_an_object"), (4, "not_an_object"), (5, "invalid_utf8"),
        (8, "missing_field:answer"), (9, "wrong_type:question")]
    for q in b.quarantined:
        raw = q.raw.encode("utf-8", "surrogateescape")
        assert raw == lines[q.line - 1]
        assert data[q.offset:q.offset + len(raw)] == raw


def test_strict_names_file_line_and_reason(tmp_path: Path) -> None:
    p = _write(tmp_path / "s.jsonl", [_j({"question": "Q", "answer": "A"}), b"", b"{oops"])
    with pytest.raises(InvalidInput, match=r"s\.jsonl:3: invalid_json"):
        _read(p, ReadOptions(strict=True))


def test_bom_and_crlf(tmp_path: Path) -> None:
    lines = [_j({"question": "Q1", "answer": "A1"}), _j({"question": "Q2", "answer": "A2"})]
    p = tmp_path / "crlf.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n\r\n")
    b = _read(p)
    assert [r["question"] for r in b.records] == ["Q1", "Q2"]
    assert b.raw == lines and b.empty == 1 and not b.quarantined
    p.write_bytes(b"\xef\xbb\xbf{bad\r\n")
    (q,) = _read(p).quarantined
    assert (q.line, q.offset, q.raw, q.reason) == (1, 3, "{bad", "invalid_json")


def test_final_line_without_newline_counts(tmp_path: Path) -> None:
    p = tmp_path / "n.jsonl"
    p.write_bytes(_j({"text": "a"}) + b"\n" + _j({"text": "b"}))
    assert [r["text"] for r in _read(p).records] == ["a", "b"]


def test_batches_split_by_physical_lines(tmp_path: Path) -> None:
    lines = [_j({"text": f"t{i}"}) if i % 3 else b"" for i in range(25)]
    batches = list(read_batches(_write(tmp_path / "b.jsonl", lines), batch_lines=4))
    assert [b.lines_read for b in batches] == [4] * 6 + [1]
    assert sum(b.empty for b in batches) == 9
    assert all(b.format == "text" for b in batches[1:])


def test_fifty_megabyte_line(tmp_path: Path) -> None:
    big = "x" * (50 << 20)
    p = tmp_path / "big.jsonl.zst"
    body = _j({"question": "long?", "answer": big}) + b"\n" + _j({"text": "after"}) + b"\n"
    p.write_bytes(zstandard.ZstdCompressor(level=1).compress(body))
    # By default a line over 4 MB is quarantined unparsed, its first 4 KB kept.
    batches = list(read_batches(p))
    records = [r for b in batches for r in b.records]
    entries = [e for b in batches for e in b.quarantined]
    assert [r["text"] for r in records] == ["after"]
    assert [(e.line, e.reason) for e in entries] == [(1, "too_large")]
    assert len(entries[0].raw) == 4096 and "52,428,8" in entries[0].detail
    # Without the limit it is read whole.
    batches = list(read_batches(p, ReadOptions(max_record_bytes=None)))
    records = [r for b in batches for r in b.records]
    assert len(records[0]["answer"]) == 50 << 20 and records[1]["text"] == "after"


# --- compression, Parquet ----------------------------------------------------------------------

def _qa_lines(n: int) -> list[bytes]:
    return [_j({"id": f"r{i}", "question": f"Question {i}?", "answer": f"Answer {i}."})
            for i in range(n)]


def test_zst_multi_frame(tmp_path: Path) -> None:
    lines = _qa_lines(300)
    data = b"".join(line + b"\n" for line in lines)
    cctx = zstandard.ZstdCompressor()
    p = tmp_path / "m.jsonl.zst"
    # The split falls inside a line: lines may span frames.
    p.write_bytes(cctx.compress(data[:5000]) + cctx.compress(data[5000:12001]) + cctx.compress(data[12001:]))
    b = _read(p)
    assert b.raw == lines and not b.quarantined


def test_truncated_zst_keeps_the_readable_part(tmp_path: Path) -> None:
    lines = _qa_lines(20000)  # several zstd blocks: a cut frame still yields its whole blocks
    data = b"".join(line + b"\n" for line in lines)
    comp = zstandard.ZstdCompressor(level=1).compress(data)
    p = tmp_path / "t.jsonl.zst"
    p.write_bytes(comp[: len(comp) * 2 // 3])
    b = _read(p)
    assert len(b.quarantined) == 1
    q = b.quarantined[0]
    assert q.reason == "truncated_stream" and q.line == len(b.records) + 1
    assert 0 < len(b.records) < 20000 and b.raw == lines[: len(b.records)]
    # The entry carries the partial line, at its offset in the decompressed stream.
    assert data[q.offset:].startswith(q.raw.encode())


def test_corrupt_zst_frame(tmp_path: Path) -> None:
    cctx = zstandard.ZstdCompressor()
    good = b"".join(line + b"\n" for line in _qa_lines(10))
    p = tmp_path / "c.jsonl.zst"
    p.write_bytes(cctx.compress(good) + b"this is not a zstd frame at all" + cctx.compress(good))
    b = _read(p)
    assert len(b.records) == 10
    assert [q.reason for q in b.quarantined] == ["corrupt_stream"] and b.lines_read == 11


def test_not_compressed_at_all(tmp_path: Path) -> None:
    p = _write(tmp_path / "plain.jsonl.zst", _qa_lines(2))
    b = _read(p)
    assert b.records == [] and [q.reason for q in b.quarantined] == ["corrupt_stream"]


def test_gzip_and_truncated_gzip(tmp_path: Path) -> None:
    lines = _qa_lines(2000)
    data = b"".join(line + b"\n" for line in lines)
    p = tmp_path / "g.jsonl.gz"
    p.write_bytes(gzip.compress(data))
    assert _read(p).raw == lines
    comp = gzip.compress(data)
    p.write_bytes(comp[: len(comp) // 2])
    b = _read(p)
    assert [q.reason for q in b.quarantined] == ["truncated_stream"]
    assert b.raw == lines[: len(b.records)]


def test_corrupt_gzip(tmp_path: Path) -> None:
    lines = _qa_lines(2000)
    comp = bytearray(gzip.compress(b"".join(line + b"\n" for line in lines)))
    comp[len(comp) // 2:len(comp) // 2 + 64] = b"\xff" * 64
    p = tmp_path / "c.jsonl.gz"
    p.write_bytes(bytes(comp))
    b = _read(p)
    assert [q.reason for q in b.quarantined][-1:] == ["corrupt_stream"]
    assert b.lines_read == len(b.records) + len(b.quarantined)
    assert b.raw[:10] == lines[:10]


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"question": ["Q1", None, "Q3"], "answer": ["A1", "A2", "A3"],
                      "difficulty": [1, 2, None], "tags": [["x"], [], ["y", "z"]]})
    p = tmp_path / "d.parquet"
    pq.write_table(table, p, row_group_size=2)
    b = _read(p, batch_lines=2)
    assert b.format == "qa" and b.lines == [1, 3] and b.lines_read == 3
    assert b.records[0]["tags"] == ["x"]
    assert "difficulty" not in b.records[1]  # a null optional field is absent
    assert orjson.loads(b.raw[0]) == {"question": "Q1", "answer": "A1", "difficulty": 1, "tags": ["x"]}
    assert [(q.line, q.offset, q.reason) for q in b.quarantined] == [(2, -1, "missing_field:question")]


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "d.parquet"
    p.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(InvalidInput, match=r"pip install 'boostpack\[arrow\]'"):
        list(read_batches(p))


# --- properties --------------------------------------------------------------------------------

_GOOD = st.builds(lambda q, a: _j({"question": q, "answer": a}),
                  st.text(min_size=1).filter(str.strip), st.text(min_size=1).filter(str.strip))
_BAD = st.sampled_from([b"{", b"[]", b"null", b"\xc3\x28", b'{"question": "q"}',
                        b'{"question": 5, "answer": "a"}', b'{"x": 1}', b'{"answer": "\xe2\x82"}'])
_BLANK = st.sampled_from([b"", b" ", b"\t"])


@given(lines=st.lists(st.one_of(_GOOD, _BAD, _BLANK), max_size=40),
       crlf=st.booleans(), batch_lines=st.integers(1, 9), cuts=st.lists(st.integers(0, 10**6), max_size=3))
def test_counts_add_up_and_raw_round_trips(tmp_path_factory: pytest.TempPathFactory,
                                           lines: list[bytes], crlf: bool, batch_lines: int,
                                           cuts: list[int]) -> None:
    d = tmp_path_factory.mktemp("prop")
    end = b"\r\n" if crlf else b"\n"
    data = b"".join(line + end for line in lines)
    # The same content as plain JSONL and as multi-frame zstd cut at arbitrary points.
    cctx = zstandard.ZstdCompressor()
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    (d / "x.jsonl").write_bytes(data)
    (d / "x.jsonl.zst").write_bytes(b"".join(cctx.compress(data[a:b])
                                             for a, b in itertools.pairwise(points)))
    results = []
    for name in ("x.jsonl", "x.jsonl.zst"):
        b = _read(d / name, batch_lines=batch_lines)
        assert b.lines_read == len(lines) == len(b.records) + len(b.quarantined) + b.empty
        seen = sorted(b.lines + [q.line for q in b.quarantined])
        assert len(set(seen)) == len(seen)
        assert b.empty == sum(1 for line in lines if not line.strip())
        for raw, line_no in zip(b.raw, b.lines, strict=True):
            assert raw == lines[line_no - 1]
        for q in b.quarantined:
            assert q.raw.encode("utf-8", "surrogateescape") == lines[q.line - 1]
            assert data[q.offset:].startswith(lines[q.line - 1] + end)
        results.append((b.records, [(q.line, q.reason) for q in b.quarantined]))
    assert results[0] == results[1]


# --- paths -------------------------------------------------------------------------------------

def test_expand_inputs_and_read_records(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "_aside").mkdir()
    (tmp_path / "quarantine").mkdir()
    _write(tmp_path / "b.jsonl", [_j({"text": "b"})])
    _write(tmp_path / "sub" / "a.jsonl", [_j({"text": "a"})])
    _write(tmp_path / "_aside" / "x.jsonl", [_j({"text": "x"})])
    _write(tmp_path / "quarantine" / "part-00000.jsonl", [_j({"text": "q"})])
    (tmp_path / "report.json").write_text("{}")
    (tmp_path / ".tmp-c.jsonl").write_text("")
    assert expand_inputs(tmp_path) == [str(tmp_path / "b.jsonl"), str(tmp_path / "sub" / "a.jsonl")]
    assert [r["text"] for r in read_records([tmp_path])] == ["b", "a"]
    with pytest.raises(InvalidInput, match="no such file"):
        expand_inputs([tmp_path / "missing.jsonl"])


def test_real_corpus_first_batches(corpora_dir: Path) -> None:
    batches = read_batches(corpora_dir / "qa_en.jsonl.zst", batch_lines=2000)
    b = next(batches)
    assert b.format == "qa" and b.lines_read == 2000
    assert len(b.records) + len(b.quarantined) == 2000
    assert all(r["id"] and r["question"] and r["answer"] for r in b.records)
    zh = next(read_batches(corpora_dir / "zh_poetry.jsonl.zst", batch_lines=500))
    assert zh.format == "text" and len(zh.records) == 500


# --- inputs that are not regular files ------------------------------------------------------

def test_fifos_devices_and_link_loops_are_refused_by_name(tmp_path: Path) -> None:
    fifo = tmp_path / "gen.jsonl"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    broken = tmp_path / "gone.jsonl"
    broken.symlink_to(tmp_path / "nowhere.jsonl")
    for path, message in ((fifo, "a FIFO, not a regular file"), ("/dev/null", "a character device"),
                          (loop, "symbolic link loop"), (broken, "broken symbolic link")):
        with pytest.raises(InvalidInput, match=f"^{path}: {message}"):
            expand_inputs([path])
    with pytest.raises(InvalidInput, match=f"^{fifo}: batch requests file is not a regular file"):
        ReadOptions(requests=(fifo,))
    # Inside a directory, too: a FIFO with a JSONL name is never opened (that waits forever).
    (tmp_path / "d").mkdir()
    os.mkfifo(tmp_path / "d" / "part.jsonl")
    with pytest.raises(InvalidInput, match=f"^{tmp_path / 'd' / 'part.jsonl'}: a FIFO"):
        expand_inputs([tmp_path / "d"])


@pytest.mark.parametrize("stage", ["dedup", "pack"])
def test_dedup_and_pack_refuse_a_fifo_at_once(tmp_path: Path, stage: str) -> None:
    """They waited forever on a FIFO input (ingest refused it); now one line and exit 1."""
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    extra = ["--tokenizer", str(tmp_path / "tok.json")] if stage == "pack" else []
    done = subprocess.run([sys.executable, "-m", "boostpack", stage, str(fifo), "-o",
                           str(tmp_path / "out"), *extra], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == f"boostpack {stage}: error: {fifo}: a FIFO, not a regular file: inputs " \
                          "are read more than once, so write it to a file first\n"
