"""``build_report`` on the real corpus (qa_en: 73,764 QA items, 58 MB decompressed): where the
time goes, and the cost of each stage against reading the records alone.

    python -m pytest benchmarks/bench_report.py --benchmark-only -s

Figures are CPU seconds (``time.process_time``; the machine is shared): reading the records
(the floor any report pays), the counting pass (mix, lengths, samples), and the whole report
with its diversity metrics at the default sample sizes (200 and 1,000, per task).
"""

from __future__ import annotations

import time

import pytest

from boostpack.ingestion.readers import read_records
from boostpack.reporting.build import build_report
from boostpack.reporting.diversity import DiversityOptions
from qa_corpus import QA_EN


@pytest.fixture(scope="module")
def qa_path():
    if not QA_EN.is_file():
        pytest.skip("real corpora (../shared/corpora) not available")
    return QA_EN


def _cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def test_report_qa_en(benchmark, qa_path, tmp_path) -> None:
    opts = DiversityOptions(by="task")
    read_s = _cpu(lambda: sum(1 for _ in read_records(qa_path)))
    counted_s = _cpu(lambda: build_report([qa_path], diversity=DiversityOptions(
        sizes=(2,), thresholds=(0.5,), by="task")))
    full: dict[str, float] = {}

    def whole() -> dict:
        start = time.process_time()
        out = build_report([qa_path], tmp_path / "report.html", diversity=opts)
        full["cpu"] = time.process_time() - start
        return out

    report = benchmark.pedantic(whole, rounds=1, iterations=1)
    full_s = full["cpu"]
    (col,) = report["columns"]
    records = col["records"]
    categories = len(col["diversity"]["by_category"])
    benchmark.extra_info.update(records=records, read_s=read_s, counting_s=counted_s,
                                report_s=full_s, categories=categories)
    print(f"\nreport qa_en ({records:,} records, {categories} tasks with >= 200): read "
          f"{read_s:.1f} s CPU, read + count {counted_s:.1f} s, whole report {full_s:.1f} s")
    assert records == 73_764
