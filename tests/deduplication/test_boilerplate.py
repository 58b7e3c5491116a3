"""Boilerplate shingles: document frequency counted exactly, against a plain Python count."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from boostpack.deduplication.boilerplate import MIN_DOCUMENTS, common_shingles
from boostpack.deduplication.minhash import MinHasher

WORDS = st.sampled_from(["solve", "the", "task", "answer", "a", "b", "c", "d", "x1", "y2", "42"])


@given(texts=st.lists(st.lists(WORDS, max_size=12).map(" ".join), max_size=60),
       df=st.sampled_from([0.01, 0.05, 0.3]))
def test_common_shingles_are_those_in_more_than_df_of_the_documents(texts: list[str], df: float) -> None:
    hasher = MinHasher(num_perm=1, ngram=2, shingle="word")
    held = Counter(h for t in texts for h in set(hasher.shingle_hashes(t).tolist()))
    cutoff = max(df * len(texts), MIN_DOCUMENTS - 1)
    expected = sorted(h for h, count in held.items() if count > cutoff)
    assert common_shingles(texts, hasher, df).tolist() == expected
