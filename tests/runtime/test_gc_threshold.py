"""The GC threshold is raised while stages read records, shared by nested users, then restored."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from boostpack.deduplication import sign
from boostpack.deduplication.pipeline import dedup
from boostpack.ingestion import pipeline as ingestion
from boostpack.runtime.gc_threshold import GCThreshold


def test_nested_users_share_one_saved_value_and_off_stays_off() -> None:
    before = gc.get_threshold()
    threshold = GCThreshold(1234)
    with threshold.raised():
        with threshold.raised():
            assert gc.get_threshold()[0] == 1234
        assert gc.get_threshold()[0] == 1234
    assert gc.get_threshold() == before
    gc.set_threshold(0)
    try:
        with threshold.raised():
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_dedup_and_ingest_read_with_the_raised_threshold(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"question": "q", "answer": "a"}\n' * 3)
    before, seen = gc.get_threshold(), []

    def spying(real):
        def spy(*args, **kwargs):
            seen.append(gc.get_threshold()[0])
            return real(*args, **kwargs)
        return spy

    monkeypatch.setattr(sign, "batch_texts", spying(sign.batch_texts))  # dedup's read
    monkeypatch.setattr(ingestion, "read_batches", spying(ingestion.read_batches))
    dedup(path, tmp_path / "d", workers=1, progress=False)
    ingestion.ingest([path], tmp_path / "i", progress=False)
    assert len(seen) >= 2 and min(seen) >= 50_000
    assert gc.get_threshold() == before
