"""Split plain JSONL into byte ranges: together the ranges read exactly like the whole file."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import Batch, ReadOptions, read_batches
from boostpack.ingestion.splits import RangeReader, plan_splits, splittable


def messy_lines(rng: random.Random, n: int) -> list[bytes]:
    """QA lines with bad, blank, non-object, CRLF, empty-answer and very long lines."""
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.05:
            out.append(b"{broken")
        elif r < 0.08:
            out.append(b"" if rng.random() < 0.5 else b"  ")
        elif r < 0.1:
            out.append(b"[1, 2]")
        elif r < 0.12:
            out.append(orjson.dumps({"id": str(i), "question": "q", "answer": ""}))
        else:
            text = "x" * rng.choice([0, 10, 300, 5000])
            line = orjson.dumps({"id": str(i), "question": f"q{i} {text}", "answer": "a"})
            out.append(line + (b"\r" if rng.random() < 0.1 else b""))
    return out


def flat(batches: list[Batch], base: int = 0) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for b in batches:
        out += [("rec", n + base, raw, rec) for n, raw, rec in zip(b.lines, b.raw, b.records, strict=True)]
        out += [("bad", q.line + base, q.offset, q.reason, q.raw) for q in b.quarantined]
    return sorted(out, key=lambda x: x[1])


def read_split(path: Path, split_bytes: int, cell: int,
               batch_lines: int) -> tuple[list[tuple[Any, ...]], list[int], int]:
    """(records and quarantine with absolute lines, global frame cuts, empty lines)."""
    options = ReadOptions()
    got: list[tuple[Any, ...]] = []
    cuts: list[int] = []
    base = docs = empty = 0
    for split in plan_splits(str(path), options, split_bytes):
        reader = RangeReader(str(path), split, options, cell)
        batches = list(reader.batches(batch_lines))
        assert reader.line_base() == base
        got += flat(batches, base)
        cuts += [docs + c for c in [0, *reader.cuts] if docs + c > 0]  # a split starts a frame
        base += sum(b.lines_read for b in batches)
        docs += sum(len(b.records) for b in batches)
        empty += sum(b.empty for b in batches)
        assert all(b.lines_read <= batch_lines for b in batches)
    return got, sorted(set(cuts)), empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), bom=st.booleans(), final_newline=st.booleans(),
       split=st.sampled_from([1, 3, 7, 40]), batch_lines=st.integers(1, 50))
def test_ranges_read_like_the_whole_file(tmp_path: Path, seed: int, bom: bool, final_newline: bool,
                                         split: int, batch_lines: int) -> None:
    rng = random.Random(seed)
    data = b"\n".join(messy_lines(rng, rng.randrange(0, 300))) + (b"\n" if final_newline else b"")
    path = tmp_path / f"in{seed}.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    cell = 2048
    whole = list(read_batches(path, ReadOptions(), batch_lines=64))
    expected_empty = sum(b.empty for b in whole)
    got, cuts, empty = read_split(path, split * cell, cell, batch_lines)
    assert got == flat(whole)
    assert empty == expected_empty
    # Frame cuts do not depend on the split (splits are multiples of the cell).
    assert cuts == read_split(path, 1 << 40, cell, batch_lines)[1]


def test_splits_are_line_aligned_and_cover_the_file(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(messy_lines(random.Random(1), 2000)))
    data = path.read_bytes()
    splits = plan_splits(str(path), ReadOptions(), 10_000)
    assert len(splits) > 10 and splits[0].start == 0 and splits[-1].end == len(data)
    for a, b in itertools.pairwise(splits):
        assert a.end == b.start and data[b.start - 1 : b.start] == b"\n" and b.start >= a.start
    assert [s.fmt for s in splits] == ["auto"] + ["qa"] * (len(splits) - 1)


def test_format_detected_late_applies_after_its_line(tmp_path: Path) -> None:
    """Lines before the first recognizable one are unknown_format, as when read whole."""
    unknown = [orjson.dumps({"id": str(i), "text": "t" * 200}) for i in range(200)]
    qa = [orjson.dumps({"id": f"q{i}", "question": "q" * 200, "answer": "a"}) for i in range(200)]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(unknown + qa + unknown) + b"\n")
    whole = flat(list(read_batches(path, ReadOptions(), batch_lines=100)))
    assert read_split(path, 4096, 4096, 33)[0] == whole


def test_strict_error_names_the_absolute_line(tmp_path: Path) -> None:
    lines = [orjson.dumps({"id": str(i), "question": "q" * 100, "answer": "a"}) for i in range(500)]
    lines[401] = b"{oops"
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    options = ReadOptions(strict=True)
    with pytest.raises(InvalidInput, match=r"in\.jsonl:402: invalid_json"):
        for split in plan_splits(str(path), options, 4096):
            list(RangeReader(str(path), split, options, 4096).batches(10))


def test_only_plain_files_split() -> None:
    assert splittable("a.jsonl") and splittable("b.ndjson") and splittable("c.txt")
    assert not any(map(splittable, ["a.jsonl.zst", "a.jsonl.gz", "a.parquet", "A.JSONL.ZST"]))
