"""Ingest throughput on the real corpus (qa_en, 58 MB decompressed), with ratios from one run.

    python -m pytest benchmarks/bench_ingest.py --benchmark-only -s

Figures are MB of decompressed input per CPU second (``time.process_time``, best of 3: the
machine is shared, and CPU time is what "per core" means):
- parse: ``json.loads`` vs ``orjson.loads`` over every line (why orjson is a dependency);
- floor: decompress + split into lines, nothing else (what any reader must pay);
- read: ``read_batches`` (parse, detect, validate, canonicalize, quarantine);
- ingest: ``ingest()`` end to end (read + serialize + compress + write shards and report).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import orjson
import pytest
import zstandard

from boostpack.ingestion.pipeline import ingest
from boostpack.ingestion.readers import read_batches
from qa_corpus import QA_EN
from qa_corpus import best_cpu_seconds as _cpu

QA = QA_EN


@pytest.fixture(scope="module")
def qa_lines() -> list[bytes]:
    if not QA.is_file():
        pytest.skip("real corpora (../shared/corpora) not available")
    data = zstandard.ZstdDecompressor().decompressobj().decompress(QA.read_bytes())
    return data.splitlines()


def _mb(lines: list[bytes]) -> float:
    return sum(len(line) + 1 for line in lines) / 1e6


def test_parse_orjson_vs_json(benchmark, qa_lines: list[bytes]) -> None:
    json_s = _cpu(lambda: [json.loads(line) for line in qa_lines])
    orjson_s = _cpu(lambda: [orjson.loads(line) for line in qa_lines])
    benchmark(lambda: [orjson.loads(line) for line in qa_lines])
    mb = _mb(qa_lines)
    benchmark.extra_info.update(json_mb_s=mb / json_s, orjson_mb_s=mb / orjson_s,
                                orjson_speedup=json_s / orjson_s)
    print(f"\nparse qa_en: json {mb / json_s:.0f} MB/s, orjson {mb / orjson_s:.0f} MB/s "
          f"-> orjson {json_s / orjson_s:.2f}x")


def test_read_and_ingest(benchmark, qa_lines: list[bytes]) -> None:
    mb = _mb(qa_lines)

    def split_only() -> int:
        dctx = zstandard.ZstdDecompressor()
        n = 0
        with open(QA, "rb") as f:
            for chunk in dctx.read_to_iter(f, read_size=1 << 17, write_size=1 << 20):
                n += chunk.count(b"\n")
        return n

    def read() -> int:
        return sum(len(b.records) for b in read_batches(QA))

    with tempfile.TemporaryDirectory() as tmp:
        def run_ingest() -> dict:
            return ingest([QA], Path(tmp) / "out", progress=False)

        floor_s, read_s, ingest_s = _cpu(split_only), _cpu(read), _cpu(run_ingest)
        benchmark(run_ingest)
    benchmark.extra_info.update(floor_mb_s=mb / floor_s, read_mb_s=mb / read_s,
                                ingest_mb_s=mb / ingest_s)
    print(f"\nqa_en {mb:.1f} MB: decompress+split {mb / floor_s:.0f} MB/s, read_batches "
          f"{mb / read_s:.0f} MB/s ({floor_s / read_s:.2f}x of floor), ingest "
          f"{mb / ingest_s:.0f} MB/s ({read_s / ingest_s:.2f}x of read)")
