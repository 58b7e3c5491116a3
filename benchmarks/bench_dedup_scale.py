"""``dedup_scale.py`` at toy sizes, so the scale benchmark cannot rot (the figures come from
running the script itself at millions of records; see its docstring).

    python -m pytest benchmarks/bench_dedup_scale.py --benchmark-disable   # CI: run once
"""

from __future__ import annotations

from pathlib import Path

import dedup_scale


def test_dedup_scale_toy_sizes(benchmark, tmp_path: Path) -> None:
    argv = ["--sizes", "3000", "6000", "--workers", "1", "--memory", "256M", "--poll", "0.05",
            "--simulate", "200000", "--sim-memory", str(1 << 20), "--data-dir", str(tmp_path),
            "--json", str(tmp_path / "scale.json")]
    result = benchmark.pedantic(lambda: dedup_scale.main(argv), rounds=1, iterations=1)
    rows = result["scale"]["rows"]
    assert [r["records"] for r in rows] == [3000, 6000]
    for r in rows:
        assert r["removed"] >= r["kinds"]["exact"]
        assert r["cpu"] > 0 and r["scratch_peak"] > 0 and r["rss_parent"] > 0
        assert abs(sum(r["phase_cpu"].values()) - r["cpu"]) < 1e-6
    assert result["scale"]["growth_exponent"]["total_cpu"] is not None
    sim = result["simulation"][0]
    assert sim["n"] == 200_000 and sim["pairs"] > 0 and sim["spilled_runs"] > 0
    assert (tmp_path / "scale.json").exists()
