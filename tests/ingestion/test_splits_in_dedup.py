"""Compressed and columnar inputs split into dedup tasks: the same output bytes whatever the
workers and split size, the same decisions as the plain file, absolute lines and offsets."""

from __future__ import annotations

import contextlib
import itertools
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from input_layouts import bgzf, messy_lines, zstd_frames

from boostpack import dedup
from boostpack.deduplication.write import removed_line
from boostpack.ingestion.readers import ReadOptions
from boostpack.ingestion.splits import plan_splits, splittable

_FRAME = 16 << 10  # output frames (and the split unit): small, so a small file makes many tasks


_WORDS = ("river", "delta", "basalt", "orbit", "prime", "enzyme", "tariff", "sonnet", "quartz",
          "glacier", "vector", "lemma", "ion", "monsoon", "fresco", "ledger")


def _lines(n: int, seed: int) -> list[bytes]:
    """Messy QA lines (bad, blank, CRLF) whose questions are drawn from n/2 random-word texts:
    many exact copies, and (random words) few near ones, so clustering stays quick."""
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(_WORDS) for _ in range(30)) for _ in range(n // 2)]
    out = []
    for line in messy_lines(rng, n):
        body = line.removesuffix(b"\r")
        if body.startswith(b'{"id"') and b'"answer":""' not in body:
            body = orjson.dumps({**orjson.loads(body), "question": rng.choice(texts)})
        out.append(body + line[len(line.removesuffix(b"\r")):])
    return out


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "report.json"}


def _decisions(out: Path) -> tuple[list[bytes], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Kept lines, removed (line, reason, dup_of, line number), quarantine (line, offset, reason)."""
    def lines(p: Path) -> list[bytes]:  # every frame
        with open(p, "rb") as f, zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True) as r:
            return r.read().splitlines()

    kept = [line for p in sorted((out / "kept").iterdir()) for line in lines(p)]
    removed = [(removed_line(line), r["reason"], r["dup_of"], r["line_number"])
               for p in sorted((out / "removed").iterdir()) for line in lines(p)
               for r in [orjson.loads(line)]]
    quarantine = [(q["line"], q["offset"], q["reason"]) for p in sorted((out / "quarantine").glob("*"))
                  for q in map(orjson.loads, p.read_bytes().splitlines())]
    return kept, removed, quarantine


def _inputs(tmp_path: Path, layout: str, data: bytes, rows: list[bytes]) -> Path:
    if layout == "zstd":
        ends = [i + 1 for i, byte in enumerate(data) if byte == 10]
        cuts = [*range(0, len(data), 5000), *ends[::97]]  # inside lines and at line ends
        path = tmp_path / "in.jsonl.zst"
        path.write_bytes(b"".join(zstd_frames(data, cuts)))
    elif layout == "bgzf":
        path = tmp_path / "in.jsonl.gz"
        path.write_bytes(bgzf(data, block=3000))
    else:
        pa = pytest.importorskip("pyarrow")
        objects = []
        for row in rows:
            with contextlib.suppress(orjson.JSONDecodeError):
                obj = orjson.loads(row)
                if isinstance(obj, dict):
                    objects.append(obj)
        table = pa.Table.from_pylist(objects)
        path = tmp_path / ("in.parquet" if layout == "parquet" else "in.arrow")
        if layout == "parquet":
            pq = pytest.importorskip("pyarrow.parquet")
            pq.write_table(table, path, row_group_size=40)
        else:
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table, max_chunksize=40)
    return path


@pytest.mark.parametrize("layout", ["zstd", "bgzf", "parquet", "arrow"])
def test_split_inputs_dedup_byte_identically(tmp_path: Path, layout: str) -> None:
    lines = _lines(700, seed=11)
    data = b"\n".join(lines) + b"\n"
    path = _inputs(tmp_path, layout, data, lines)
    assert splittable(str(path)) and len(plan_splits(str(path), ReadOptions(), _FRAME)) > 5
    whole = dedup([path], tmp_path / "whole", frame_bytes=_FRAME, split_bytes=1 << 40, progress=False)
    for split, workers in ((_FRAME, 1), (3 * _FRAME, 2)):
        out = tmp_path / f"s{split}-w{workers}"
        report = dedup([path], out, frame_bytes=_FRAME, split_bytes=split, workers=workers,
                       batch_lines=64, progress=False)
        assert (report["kept"], report["removed"], report["quarantined"]) == \
            (whole["kept"], whole["removed"], whole["quarantined"])
        assert _tree(out) == _tree(tmp_path / "whole")
    if layout in ("zstd", "bgzf"):
        # The same decisions, line numbers and stream offsets as the plain file's.
        plain = tmp_path / "in.jsonl"
        plain.write_bytes(data)
        dedup([plain], tmp_path / "plain", frame_bytes=_FRAME, split_bytes=_FRAME, progress=False)
        assert _decisions(tmp_path / "whole") == _decisions(tmp_path / "plain")
        kept, removed, quarantine = _decisions(tmp_path / "whole")
        starts = [0, *itertools.accumulate(len(line) + 1 for line in lines)]
        assert quarantine and all(offset == starts[n - 1] for n, offset, _ in quarantine)
        assert all(lines[n - 1].rstrip(b"\r") == original for original, _, _, n in removed)
        assert len(kept) + len(removed) + len(quarantine) == sum(1 for line in lines if line.strip())
