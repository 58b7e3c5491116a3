"""Lexical metrics against references computed by hand."""

from __future__ import annotations

import math
import zlib

import pytest

from boostpack.reporting.lexical import (
    compression_ratio,
    distinct_n,
    lexical_metrics,
    vocabulary_growth,
    words,
)


def test_words_fold_case_drop_punctuation_and_split_cjk() -> None:
    assert words("The cat, the CAT!") == ["the", "cat", "the", "cat"]
    assert words("x2 + 3 = 5") == ["x2", "3", "5"]
    assert words("床前明月光") == ["床", "前", "明", "月", "光"]
    assert words("Tang诗 poems") == ["tang", "诗", "poems"]


def test_distinct_n_by_hand() -> None:
    docs = [["a", "b", "a", "b"], ["a", "b", "c"]]
    # unigrams: 7 in all, {a, b, c} distinct
    assert distinct_n(docs, 1) == pytest.approx(3 / 7)
    # bigrams: ab ba ab | ab bc -> 5 in all, {ab, ba, bc} distinct (none across documents)
    assert distinct_n(docs, 2) == pytest.approx(3 / 5)
    # trigrams: aba bab | abc -> all distinct
    assert distinct_n(docs, 3) == pytest.approx(1.0)
    # 4-grams: abab only
    assert distinct_n(docs, 4) == pytest.approx(1.0)
    assert distinct_n([["a"]], 2) is None


def test_compression_ratio_is_raw_over_zlib9() -> None:
    texts = ["the same line"] * 50 + ["another line"]
    data = "\n".join(texts).encode()
    assert compression_ratio(texts) == pytest.approx(len(data) / len(zlib.compress(data, 9)))
    assert compression_ratio(texts) > compression_ratio([f"line {i} {i * 7919}" for i in range(51)])
    assert compression_ratio([]) is None


def test_vocabulary_growth_points_and_heaps_beta() -> None:
    # Every word new: V(N) = N, so the Heaps exponent is exactly 1.
    docs = [[f"w{i}" for i in range(1000)]]
    g = vocabulary_growth(docs)
    assert g["points"][-1] == [1000, 1000]
    assert all(v == n for n, v in g["points"])
    assert g["heaps_beta"] == pytest.approx(1.0)
    # The same word over and over: V stays 1, beta 0.
    g = vocabulary_growth([["x"] * 500])
    assert g["heaps_beta"] == pytest.approx(0.0, abs=1e-12)
    # A known curve: V = sqrt(N) at the sampled points -> beta 0.5.
    words_sqrt = [f"w{math.isqrt(i)}" for i in range(10_000)]
    assert vocabulary_growth([words_sqrt])["heaps_beta"] == pytest.approx(0.5, abs=0.03)
    assert vocabulary_growth([]) == {"points": [], "heaps_beta": None}


def test_lexical_metrics_bundle() -> None:
    m = lexical_metrics(["a b a b", "a b c"])
    assert m["distinct_1"] == pytest.approx(3 / 7)
    assert m["words"] == 7 and m["vocabulary"] == 3
    assert set(m) >= {"distinct_2", "distinct_3", "distinct_4", "compression_ratio", "growth"}
