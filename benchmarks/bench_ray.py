"""``compare_ray.py`` once on a few MB (dedup only), so the script cannot rot: a Ray started for
the run against local workers, outputs checked byte-identical. Skipped without Ray.

    python -m pytest benchmarks/bench_ray.py --benchmark-disable
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from compare_dedup_e2e import build
from compare_ray import compare
from qa_corpus import CORPORA


def test_dedup_on_ray_against_local(benchmark, tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("ray")
    if not CORPORA.is_dir():
        pytest.skip("real corpora (../shared/corpora) not available")
    # A token of the run's own: Ray's default would write one into ~/.ray.
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    inputs = [str(p) for p in build(tmp_path / "data", 2, 2)]
    local, ray = benchmark.pedantic(lambda: compare("dedup", ["dedup", *inputs], tmp_path, []),
                                    rounds=1, iterations=1)
    benchmark.extra_info["ray_extra_s"] = ray["wall"] - local["wall"]
    assert ray["summary"]["execution"]["backend"] == "ray"
    assert ray["summary"]["kept"] == local["summary"]["kept"]
