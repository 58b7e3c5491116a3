"""Boilerplate shingles: document frequency counted exactly, against a plain Python count; the
sample's size and spread."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from boostpack.deduplication.boilerplate import (
    MIN_DOCUMENTS,
    SAMPLE_RECORDS,
    WINDOW_RECORDS,
    common_shingles,
    sample_texts,
)
from boostpack.deduplication.minhash import MinHasher
from boostpack.ingestion.options import ReadOptions

WORDS = st.sampled_from(["solve", "the", "task", "answer", "a", "b", "c", "d", "x1", "y2", "42"])


@given(texts=st.lists(st.lists(WORDS, max_size=12).map(" ".join), max_size=60),
       df=st.sampled_from([0.01, 0.05, 0.3]))
def test_common_shingles_are_those_in_more_than_df_of_the_documents(texts: list[str], df: float) -> None:
    hasher = MinHasher(num_perm=1, ngram=2, shingle="word")
    held = Counter(h for t in texts for h in set(hasher.shingle_hashes(t).tolist()))
    cutoff = max(df * len(texts), MIN_DOCUMENTS - 1)
    expected = sorted(h for h, count in held.items() if count > cutoff)
    assert common_shingles(texts, hasher, df).tolist() == expected


@pytest.mark.parametrize("layout", ["plain", "zstd frames"])
def test_sample_takes_about_its_quota_of_records(tmp_path: Path, layout: str) -> None:
    """A multi-frame .zst is cut at its frames, many more parts than windows: the sample still
    takes ``SAMPLE_RECORDS`` records (it took 2.25x as many, and as much time, before)."""
    lines = [orjson.dumps({"question": f"question {i} about topic {i % 97}", "answer": "a"}) + b"\n"
             for i in range(40_000)]
    if layout == "plain":
        path = tmp_path / "qa.jsonl"
        path.write_bytes(b"".join(lines))
    else:
        cctx = zstandard.ZstdCompressor()
        path = tmp_path / "qa.jsonl.zst"
        path.write_bytes(b"".join(cctx.compress(b"".join(lines[i : i + 500]))
                                  for i in range(0, len(lines), 500)))  # 80 frames
    texts = sample_texts([str(path)], ReadOptions(), ("question",))
    assert SAMPLE_RECORDS <= len(texts) <= SAMPLE_RECORDS + WINDOW_RECORDS
    assert len({int(t.split()[1]) // 5000 for t in texts}) == 8  # spread over the whole file
