"""Digit handling: "keep" (default) keeps distinct numbers distinct, "class" (opt-in) unifies them.

Regression for the lead's decision against DESIGN §4's digit class: on synthesized math QA the
class collapsed 1,106 distinct qa_en items into shared exact hashes
(tools/measure_digit_collisions.py), e.g. "4 * 8 =\\n32" and "9 + 5 =\\n14" became the same document."""

from __future__ import annotations

import numpy as np
import pytest

from boostpack import InvalidInput, MinHasher
from boostpack.deduplication.minhash import DEFAULT_DIGITS, DIGIT_MODES, exact_hashes, normalize

ARITHMETIC = ["4 * 8 = 32", "9 + 5 = 14"]
CORPUS_FORM = ["4 * 8 =\n32", "9 + 5 =\n14"]  # question, newline, answer, as the corpus has them


def _pack(texts: list[str]) -> tuple[bytes, np.ndarray]:
    encoded = [t.encode() for t in texts]
    return b"".join(encoded), np.cumsum([0, *map(len, encoded)]).astype(np.uint64)


def test_default_is_keep() -> None:
    assert DEFAULT_DIGITS == "keep" and DIGIT_MODES == ("keep", "class")
    assert MinHasher().digits == "keep"
    assert normalize(ARITHMETIC[0]) == "4 8 32"
    assert normalize(ARITHMETIC[0], digits="class") == "0 0 00"


@pytest.mark.parametrize("texts", [ARITHMETIC, CORPUS_FORM])
def test_arithmetic_problems_stay_distinct_when_digits_are_kept(texts: list[str]) -> None:
    keep = exact_hashes(*_pack(texts))
    assert not (keep[0] == keep[1]).all()
    np.testing.assert_array_equal(exact_hashes(*_pack(texts), digits="keep"), keep)
    for shingle, ngram in [("char", 5), ("word", 1), ("word", 3)]:
        sigs = MinHasher(ngram=ngram, shingle=shingle).signatures(texts)
        assert (sigs[0] == sigs[1]).mean() < 0.5


@pytest.mark.parametrize("texts", [ARITHMETIC, CORPUS_FORM])
def test_arithmetic_problems_collapse_under_the_digit_class(texts: list[str]) -> None:
    cls = exact_hashes(*_pack(texts), digits="class")
    assert (cls[0] == cls[1]).all()
    for shingle, ngram in [("char", 5), ("word", 1), ("word", 3)]:
        sigs = MinHasher(ngram=ngram, shingle=shingle, digits="class").signatures(texts)
        np.testing.assert_array_equal(sigs[0], sigs[1])


@pytest.mark.parametrize("digits", ["", "Keep", "none", None, 0])
def test_invalid_digit_mode_raises(digits: object) -> None:
    with pytest.raises(InvalidInput, match="digits"):
        normalize("1", digits=digits)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="digits"):
        exact_hashes(b"1", [0, 1], digits=digits)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="digits"):
        MinHasher(digits=digits)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="digits"):  # InvalidInput is a ValueError too
        normalize("1", digits=digits)  # type: ignore[arg-type]


def test_repr_names_the_digit_mode() -> None:
    assert "digits='class'" in repr(MinHasher(digits="class"))
