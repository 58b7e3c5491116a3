"""Fuzz the compiled JSON Lines scanner (``_jsonl``, pack's fast lane): arbitrary bytes, key
tables and buffer sizes. Every call either returns a result within its buffers or raises
InvalidInput / KernelError; it never crashes the interpreter.

Runs ``10 x`` the profile's example count; run under the sanitizer build (README, Development)
for out-of-bounds accesses that would not crash.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boostpack import _jsonl
from boostpack.errors import InvalidInput, KernelError

FUZZ = settings(max_examples=10 * settings.default.max_examples)
REFUSED = (InvalidInput, KernelError)

# JSON-ish fragments, so that many lines get past the first byte.
pieces = st.sampled_from([b'{"question": "q', b'", "answer": ', b'"a"', b"[", b"]", b"{", b"}",
                          b",", b":", b"\\u00e9", b"\\ud800", b"\xc3\xa9", b"\xff", b" ", b"\n",
                          b"1e308", b"-0", b"123456789012345678901", b"true", b"null",
                          b'"<think>', b"\r\n", b'"answer"', b'"id"'])
lines = st.lists(st.one_of(pieces, st.binary(max_size=6)), max_size=24).map(b"".join)
keys = st.lists(st.sampled_from([b"question", b"answer", b"id", b"", b"\xff", b"q"]),
                max_size=4)


def table(names: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    off = np.concatenate([[0], np.cumsum([len(n) for n in names])]).astype(np.int64)
    return np.frombuffer(b"".join(names), np.uint8), off


@FUZZ
@given(data=lines, names=keys, cap=st.integers(0, 8), max_line=st.integers(0, 64),
       damage=st.sampled_from(["none", "name_off", "short", "no_newline", "small_out"]),
       pos=st.integers(0, 8), value=st.integers(-2**63, 2**63 - 1))
def test_scan(data: bytes, names: list[bytes], cap: int, max_line: int, damage: str, pos: int,
              value: int) -> None:
    if damage != "no_newline" and not data.endswith(b"\n"):
        data += b"\n"
    raw = np.frombuffer(data, np.uint8)
    name_bytes, off = table(names)
    if damage == "name_off" and len(off):
        off = off.copy()
        off[pos % len(off)] = value
    k = max(len(off) - 1, 0)
    per_value = cap * k - (1 if damage == "short" and cap * k else 0)
    out = np.empty(max(len(data) - (1 if damage == "small_out" else 0), 0), np.uint8)
    line_end, kind = np.empty(cap, np.int64), np.empty(cap, np.uint8)
    types, flags = np.empty(per_value, np.uint8), np.empty(per_value, np.uint8)
    starts, lens = np.empty(per_value, np.int64), np.empty(per_value, np.int64)
    try:
        n, used = _jsonl.scan(raw, name_bytes, off, max_line, line_end, kind, types, flags,
                              starts, lens, out)
    except REFUSED:
        return
    assert n <= min(cap, data.count(b"\n")) and used <= len(out)
    assert np.all(np.diff(line_end[:n]) > 0) and (n == 0 or line_end[n - 1] < len(data))
    for i in range(n):
        assert data[line_end[i]] == 10 and kind[i] in (0, 1, 2)
        if kind[i] != 0:
            continue
        for j in range(k):
            if types[i * k + j] == 2:  # a string: its decoded text lies in what was used
                assert starts[i * k + j] >= 0 and starts[i * k + j] + lens[i * k + j] <= used


@FUZZ
@given(src=st.binary(max_size=32), parts=st.lists(st.tuples(
    st.one_of(st.integers(0, 40), st.integers(-2**63, 2**63 - 1)),
    st.one_of(st.integers(0, 40), st.integers(-2**63, 2**63 - 1))), max_size=6),
    dst_len=st.integers(0, 64))
def test_gather(src: bytes, parts: list[tuple[int, int]], dst_len: int) -> None:
    start = np.array([p[0] for p in parts], np.int64)
    length = np.array([p[1] for p in parts], np.int64)
    dst = np.zeros(dst_len, np.uint8)
    try:
        written = _jsonl.gather(np.frombuffer(src, np.uint8), start, length, dst)
    except REFUSED:
        return
    expected = b"".join(src[a:a + n] for a, n in parts)
    assert written == len(expected) and dst[:written].tobytes() == expected


@FUZZ
@given(data=st.binary(max_size=200))
def test_count_lines(data: bytes) -> None:
    assert _jsonl.count_lines(data) == data.count(b"\n")


@FUZZ
@given(data=st.one_of(st.binary(max_size=200), lines))
def test_split_lines(data: bytes) -> None:
    assert _jsonl.split_lines(data) == data.split(b"\n")


@FUZZ
@given(data=st.one_of(st.binary(max_size=200), lines), room=st.integers(0, 12))
def test_newlines(data: bytes, room: int) -> None:
    out = np.full(room, -1, dtype=np.int64)
    found = _jsonl.newlines(data, out)
    expected = [i for i, byte in enumerate(data) if byte == 10][:room]
    assert found == len(expected) and out[:found].tolist() == expected


@FUZZ
@given(src=st.binary(max_size=60), parts=st.lists(st.tuples(st.integers(-2, 70), st.integers(-2, 70)),
                                                  max_size=6), room=st.integers(0, 200))
def test_join_lines(src: bytes, parts: list[tuple[int, int]], room: int) -> None:
    start = np.array([p[0] for p in parts], dtype=np.int64)
    length = np.array([p[1] for p in parts], dtype=np.int64)
    dst = np.zeros(room, dtype=np.uint8)
    inside = all(s >= 0 and k >= 0 and s + k <= len(src) for s, k in parts)
    expected = b"".join(src[s:s + k] + b"\n" for s, k in parts)
    if not inside or len(expected) > room:
        with pytest.raises(InvalidInput):
            _jsonl.join_lines(src, start, length, dst)
        return
    assert _jsonl.join_lines(src, start, length, dst) == len(expected)
    assert dst[:len(expected)].tobytes() == expected


@FUZZ
@given(first=st.binary(max_size=30), second=st.binary(max_size=30),
       parts=st.lists(st.tuples(st.booleans(), st.integers(-2, 35), st.integers(-2, 35)), max_size=6),
       room=st.integers(0, 120))
def test_gather_two(first: bytes, second: bytes, parts: list[tuple[bool, int, int]], room: int) -> None:
    which = np.array([p[0] for p in parts], dtype=np.uint8)
    start = np.array([p[1] for p in parts], dtype=np.int64)
    length = np.array([p[2] for p in parts], dtype=np.int64)
    dst = np.zeros(room, dtype=np.uint8)
    sources = (first, second)
    inside = all(s >= 0 and k >= 0 and s + k <= len(sources[w]) for w, s, k in parts)
    expected = b"".join(sources[w][s:s + k] for w, s, k in parts)
    if not inside or len(expected) > room:
        with pytest.raises(InvalidInput):
            _jsonl.gather_two(first, second, which, start, length, dst)
        return
    assert _jsonl.gather_two(first, second, which, start, length, dst) == len(expected)
    assert dst[:len(expected)].tobytes() == expected
