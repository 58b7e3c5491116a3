"""Split inputs into parts (byte ranges of plain JSONL, runs of zstd frames and BGZF members,
runs of row groups and record batches): together the parts read exactly like the whole file."""

from __future__ import annotations

import gzip
import itertools
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from input_layouts import bgzf, messy_lines, seek_table, zstd_frames

from boostpack.errors import InvalidInput
from boostpack.ingestion import splits
from boostpack.ingestion.readers import Batch, ReadOptions, read_batches
from boostpack.ingestion.splits import RangeReader, plan_splits, record_lines, splittable


def flat(batches: list[Batch], base: int = 0) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for b in batches:
        out += [("rec", n + base, raw, rec) for n, raw, rec in zip(b.lines, b.raw, b.records, strict=True)]
        out += [("bad", q.line + base, q.offset, q.reason, q.raw) for q in b.quarantined]
    return sorted(out, key=lambda x: x[1])


def read_split(path: Path, split_bytes: int, cell: int, batch_lines: int,
               options: ReadOptions = ReadOptions(),  # noqa: B008 (frozen)
               ) -> tuple[list[tuple[Any, ...]], list[int], int]:
    """(records and quarantine with absolute lines, global frame cuts, empty lines)."""
    got: list[tuple[Any, ...]] = []
    cuts: list[int] = []
    base = docs = empty = 0
    for split in plan_splits(str(path), options, split_bytes):
        reader = RangeReader(str(path), split, options, cell)
        batches = list(reader.batches(batch_lines))
        assert reader.line_base() == base
        numbers = [n for b in batches for n in b.lines]
        assert [lines.line(i) for lines in record_lines(str(path), split, numbers)
                for i in range(len(lines))] == [raw for b in batches for raw in b.raw]
        got += flat(batches, base)
        cuts += [docs + c for c in [0, *reader.cuts] if docs + c > 0]  # a split starts a frame
        base += sum(b.lines_read for b in batches)
        docs += sum(len(b.records) for b in batches)
        empty += sum(b.empty for b in batches)
        assert all(b.lines_read <= batch_lines for b in batches)
    return got, sorted({c for c in cuts if c < docs}), empty  # as writers use them


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


# --- compressed parts ----------------------------------------------------------------------------

def _messy_data(seed: int, n: int) -> bytes:
    return b"\n".join(messy_lines(random.Random(seed), n)) + b"\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), codec=st.sampled_from(["zstd", "seekable", "bgzf"]),
       frames=st.integers(1, 30), at_lines=st.booleans(), bom=st.booleans(),
       split=st.sampled_from([1, 2, 5, 1 << 20]), batch_lines=st.integers(1, 50))
def test_compressed_parts_read_like_the_whole_file(tmp_path: Path, seed: int, codec: str, frames: int,
                                                   at_lines: bool, bom: bool, split: int,
                                                   batch_lines: int) -> None:
    """Multi-frame zstd (frame boundaries inside lines or at line ends, empty frames, a seek
    table) and BGZF: the parts give the records, quarantine entries (absolute line numbers
    and stream offsets), kept lines and frame cuts of the plain file."""
    rng = random.Random(seed)
    data = (b"\xef\xbb\xbf" if bom else b"") + _messy_data(seed, rng.randrange(50, 400))
    if at_lines:
        ends = [i + 1 for i, byte in enumerate(data) if byte == 10]
        cuts = rng.sample(ends, min(frames, len(ends)))
    else:
        cuts = [rng.randrange(len(data) + 1) for _ in range(frames)]  # repeats: empty frames
    plain = tmp_path / f"p{seed}.jsonl"
    plain.write_bytes(data)
    if codec == "bgzf":
        path = tmp_path / f"c{seed}.jsonl.gz"
        path.write_bytes(bgzf(data, block=rng.choice([997, 4000, 65280])))
    else:
        path = tmp_path / f"c{seed}.jsonl.zst"
        frames_ = zstd_frames(data, cuts, sizes=codec == "zstd")
        pieces = list(frames_)
        if rng.random() < 0.3:  # metadata between frames: skippable, no content
            pieces.insert(rng.randrange(len(pieces) + 1), b"\x50\x2a\x4d\x18\x03\x00\x00\x00abc")
        table = seek_table(frames_, data, cuts) if codec == "seekable" else b""
        path.write_bytes(b"".join(pieces) + table)
    cell = 2048
    whole = flat(list(read_batches(plain, ReadOptions(), batch_lines=64)))
    got, cuts_seen, _ = read_split(path, split * cell, cell, batch_lines)
    assert got == whole
    assert cuts_seen == read_split(path, 1 << 40, cell, batch_lines)[1]
    assert flat(list(read_batches(path, ReadOptions(), batch_lines=64))) == whole


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), bgzip=st.booleans(), flips=st.integers(1, 3),
       split=st.sampled_from([1, 3, 1 << 20]))
def test_damaged_files_read_alike_whatever_the_parts(tmp_path: Path, seed: int, bgzip: bool,
                                                     flips: int, split: int) -> None:
    """Bytes flipped anywhere (block data, headers, checksums): the parts read like the whole
    damaged file, counts add up, and the frame cuts do not move."""
    rng = random.Random(seed)
    data = _messy_data(seed, rng.randrange(100, 400))
    comp = bytearray(bgzf(data, block=rng.choice([997, 4000])) if bgzip else
                     b"".join(zstd_frames(data, [rng.randrange(len(data)) for _ in range(12)])))
    for _ in range(flips):
        comp[rng.randrange(len(comp))] ^= 1 << rng.randrange(8)
    path = tmp_path / (f"d{seed}.jsonl.gz" if bgzip else f"d{seed}.jsonl.zst")
    path.write_bytes(bytes(comp))
    cell = 2048
    whole = list(read_batches(path, ReadOptions(), batch_lines=64))
    assert all(b.lines_read == len(b.records) + len(b.quarantined) + b.empty for b in whole)
    got, cuts, _ = read_split(path, split * cell, cell, 16)
    assert got == flat(whole)
    assert cuts == read_split(path, 1 << 40, cell, 16)[1]


def test_a_damaged_frame_loses_only_itself_whatever_the_parts(tmp_path: Path) -> None:
    """A corrupt middle frame is one corrupt_stream entry (its readable part kept, block by
    block); the frames after it read on, in a whole-file read and in every split."""
    data = _messy_data(7, 3000)
    ends = [i + 1 for i, byte in enumerate(data) if byte == 10]
    cuts = ends[400::400]
    frames = zstd_frames(data, cuts)
    damaged = bytearray(frames[3])
    damaged[len(damaged) // 2] ^= 0x55
    frames[3] = bytes(damaged)
    path = tmp_path / "d.jsonl.zst"
    path.write_bytes(b"".join(frames))
    whole = flat(list(read_batches(path, ReadOptions(), batch_lines=100)))
    broken = [e for e in whole if e[0] == "bad" and e[3] == "corrupt_stream"]
    assert len(broken) == 1 and cuts[2] <= broken[0][2] < cuts[3]
    records = [e[2] for e in whole if e[0] == "rec"]

    def plain_records(part: bytes) -> list[bytes]:
        (tmp_path / "part.jsonl").write_bytes(part)
        return [raw for b in read_batches(tmp_path / "part.jsonl") for raw in b.raw]

    before, after = plain_records(data[:cuts[2]]), plain_records(data[cuts[3]:])
    assert records[:len(before)] == before and records[-len(after):] == after
    for split_bytes in (4096, 3 * 4096, 1 << 30):
        assert read_split(path, split_bytes, 4096, 64)[0] == whole


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_a_bad_checksum_keeps_every_line(tmp_path: Path, codec: str) -> None:
    """All content decodes before a checksum fails: every line is read (the report said 87
    lines of a 100-line .gz), and the failure is one corrupt_stream entry."""
    lines = [orjson.dumps({"id": str(i), "question": f"Question {i}?", "answer": "A."}) for i in range(100)]
    data = b"\n".join(lines) + b"\n"
    comp = bytearray(zstandard.ZstdCompressor(write_checksum=True).compress(data) if codec == "zstd"
                     else gzip.compress(data))
    comp[-1 if codec == "zstd" else -8] ^= 0xFF  # the content checksum / the CRC-32
    path = tmp_path / ("b.jsonl.zst" if codec == "zstd" else "b.jsonl.gz")
    path.write_bytes(bytes(comp))
    batches = list(read_batches(path))
    assert [raw for b in batches for raw in b.raw] == lines
    entries = [q for b in batches for q in b.quarantined]
    assert [(q.line, q.offset, q.reason, q.raw) for q in entries] == [(101, len(data), "corrupt_stream", "")]


def test_unsplittable_files_are_read_whole_and_logged(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(splits, "_LOG_WHOLE_BYTES", 100)
    data = _messy_data(3, 500)
    one = tmp_path / "one.jsonl.zst"
    one.write_bytes(zstandard.ZstdCompressor().compress(data))
    sizeless = tmp_path / "pzstd.jsonl.zst"
    sizeless.write_bytes(b"".join(zstd_frames(data, [5000, 10000], sizes=False)))
    stream = tmp_path / "plain.jsonl.gz"
    stream.write_bytes(gzip.compress(data))
    small = tmp_path / "small.jsonl.zst"
    small.write_bytes(b"".join(zstd_frames(data[:60], [30])))
    for path in (one, sizeless, stream):
        assert not splittable(str(path))
        assert len(plan_splits(str(path), ReadOptions(), 4096)) == 1
        assert read_split(path, 4096, 4096, 64)[0] == flat(list(read_batches(path)))
    log = capsys.readouterr().err.splitlines()
    assert len(log) == 3 and all(f"{p}:" in line for p, line in zip((one, sizeless, stream), log, strict=True))
    assert "3 frames do not all record their decompressed size" in log[1]
    assert splittable(str(small)) and len(plan_splits(str(small), ReadOptions(), 1 << 20)) == 1
    many = tmp_path / "many.jsonl.zst"
    many.write_bytes(b"".join(zstd_frames(data, range(0, len(data), 3000))))
    assert splittable(str(many)) and len(plan_splits(str(many), ReadOptions(), 4096)) > 5
    assert not capsys.readouterr().err


def test_strict_error_names_the_absolute_line_of_a_compressed_part(tmp_path: Path) -> None:
    lines = [orjson.dumps({"id": str(i), "question": "q" * 100, "answer": "a"}) for i in range(500)]
    lines[401] = b"{oops"
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(bgzf(data, block=3000))
    options = ReadOptions(strict=True)
    parts = plan_splits(str(path), options, 4096)
    assert len(parts) > 5
    with pytest.raises(InvalidInput, match=r"in\.jsonl\.gz:402: invalid_json"):
        for split in parts:
            list(RangeReader(str(path), split, options, 4096).batches(10))


# --- table parts --------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["parquet", "arrow_file", "arrow_stream"])
def test_table_parts_read_like_the_whole_table(tmp_path: Path, layout: str) -> None:
    pa = pytest.importorskip("pyarrow")
    rng = random.Random(5)
    rows = [{"id": str(i), "question": None if rng.random() < 0.05 else f"q{i} " + "x" * rng.choice([0, 50, 900]),
             "answer": "a", "difficulty": rng.choice([1, 2, None])} for i in range(3000)]
    table = pa.Table.from_pylist(rows)
    path = tmp_path / ("t.parquet" if layout == "parquet" else "t.arrow")
    sizes = [rng.choice([1, 7, 100, 400]) for _ in range(60)]
    chunks = [table.slice(a, b - a) for a, b in
              itertools.pairwise([0, *itertools.accumulate(sizes), len(rows)]) if b > a]
    if layout == "parquet":
        pq = pytest.importorskip("pyarrow.parquet")
        with pq.ParquetWriter(path, table.schema) as writer:
            for chunk in chunks:
                writer.write_table(chunk)  # a row group each
    else:
        new = pa.ipc.new_file if layout == "arrow_file" else pa.ipc.new_stream
        with pa.OSFile(str(path), "wb") as sink, new(sink, table.schema) as writer:
            for chunk in chunks:
                writer.write_table(chunk)  # a record batch each
    whole = flat(list(read_batches(path, batch_lines=64)))
    assert len(whole) == 3000 and sum(e[0] == "bad" for e in whole) > 50
    cell = 4096
    got, cuts, _ = read_split(path, 4 * cell, cell, 50)
    assert len(plan_splits(str(path), ReadOptions(), 4 * cell)) > 5
    assert got == whole and cuts == read_split(path, 1 << 40, cell, 50)[1]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), layout=st.sampled_from(["parquet", "parquet_zstd", "arrow_file",
                                                            "arrow_stream"]))
def test_damaged_tables_read_alike_whatever_the_parts(tmp_path: Path, seed: int, layout: str) -> None:
    """Bytes flipped in the data of a table (a corrupt offset, a string that is not UTF-8, a
    bad page): never an exception; a bad row is invalid_value, a unit that stops being
    readable one corrupt_stream entry; the same whatever the batch size or the parts."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rng = random.Random(seed)
    table = pa.Table.from_pylist([{"id": str(i), "question": f"q{i} " + "x" * (i % 50), "answer": "a"}
                                  for i in range(3000)])
    path = tmp_path / f"t{seed}.{'parquet' if layout.startswith('parquet') else 'arrow'}"
    if layout.startswith("parquet"):
        pq.write_table(table, path, row_group_size=300, data_page_size=2000,
                       compression="zstd" if layout == "parquet_zstd" else "none")
    else:
        new = pa.ipc.new_file if layout == "arrow_file" else pa.ipc.new_stream
        with pa.OSFile(str(path), "wb") as sink, new(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=250)
    data = bytearray(path.read_bytes())
    for _ in range(3):  # in the data, not the footer: a file whose metadata is gone is one entry
        data[rng.randrange(100, len(data) - 2000)] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))
    whole = flat(list(read_batches(path, batch_lines=64)))
    assert flat(list(read_batches(path, batch_lines=7))) == whole
    assert read_split(path, 8192, 8192, 13)[0] == whole
