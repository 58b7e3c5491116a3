"""Fuzz the compiled MinHash glue (``_minhash``): arbitrary bytes (invalid UTF-8 included),
offsets, permutation parameters and options. Every call returns arrays of the promised shape
or raises InvalidInput; it never crashes the interpreter.

Runs ``10 x`` the profile's example count: a few seconds under ``ci``, more under
``HYPOTHESIS_PROFILE=dev``; run under the sanitizer build (README, Development) for
out-of-bounds accesses that would not crash.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from boostpack import _minhash
from boostpack.errors import InvalidInput

FUZZ = settings(max_examples=10 * settings.default.max_examples)

# Bytes that exercise the normalizer: ASCII, digits, punctuation, multi-byte UTF-8 (also cut
# in half), and anything else.
texts = st.one_of(st.binary(max_size=200),
                  st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")),
                  st.text(alphabet="aé 1-,。中文\u0301\u200b", max_size=80).map(str.encode))
digits = st.sampled_from(["keep", "class", "other"])
shingles = st.sampled_from(["char", "word", "other"])
isas = st.sampled_from([*_minhash.ISAS, "best", "other"])
ngrams = st.integers(-1, _minhash.MAX_NGRAM + 1)
offsets = hnp.arrays(np.uint64, st.integers(0, 6),
                     elements=st.one_of(st.integers(0, 250), st.integers(0, 2**64 - 1)))
perms = hnp.arrays(np.uint32, st.integers(0, 9), elements=st.integers(0, 2**32 - 1))


def documents(size: int, offsets: np.ndarray) -> int | None:
    """The document count offsets describe over ``size`` units, or None when they are bad."""
    if len(offsets) == 0 or np.any(np.diff(offsets.astype(object)) < 0) or offsets[-1] > size:
        return None
    return len(offsets) - 1


@FUZZ
@given(text=texts, mode=digits)
def test_normalize(text: bytes, mode: str) -> None:
    try:
        out = _minhash.normalize_utf8(text, mode)
    except InvalidInput:
        assert mode == "other"
        return
    assert _minhash.normalize_utf8(out, mode) == out  # normalized text is a fixed point


@FUZZ
@given(data=texts, offs=offsets, mode=digits)
def test_exact_hashes(data: bytes, offs: np.ndarray, mode: str) -> None:
    try:
        out = _minhash.exact_hashes(data, offs, mode)
    except InvalidInput:
        assert mode == "other" or documents(len(data), offs) is None
        return
    assert out.shape == (documents(len(data), offs), 2)


@FUZZ
@given(text=texts, shingle=shingles, ngram=ngrams, mode=digits, isa=isas)
# A short word after a long one in one 16-word group: the AVX-512 word hash read past the
# folded text (ASan: heap-buffer-overflow in next_bytes_avx512).
@example(text=b"a" * 100 + b" b", shingle="word", ngram=1, mode="keep", isa="avx512")
def test_shingle_hashes(text: bytes, shingle: str, ngram: int, mode: str, isa: str) -> None:
    try:
        out = _minhash.shingle_hashes(text, shingle, ngram, mode, isa)
    except InvalidInput:
        return
    assert out.ndim == 1 and out.dtype == np.uint32


@FUZZ
@given(data=texts, offs=offsets, a=perms, b=perms, shingle=shingles, ngram=ngrams, mode=digits,
       isa=isas)
def test_signatures(data: bytes, offs: np.ndarray, a: np.ndarray, b: np.ndarray, shingle: str,
                    ngram: int, mode: str, isa: str) -> None:
    try:
        sig = _minhash.signatures(data, offs, a, b, shingle, ngram, mode, isa)
    except InvalidInput:
        return
    assert sig.shape == (documents(len(data), offs), len(a)) and len(a) == len(b) > 0


@FUZZ
@given(hashes=hnp.arrays(np.uint32, st.integers(0, 40)), offs=offsets, a=perms, b=perms)
def test_signatures_of_hashes(hashes: np.ndarray, offs: np.ndarray, a: np.ndarray,
                              b: np.ndarray) -> None:
    try:
        sig = _minhash.signatures_of_hashes(hashes, offs, a, b)
    except InvalidInput:
        assert documents(len(hashes), offs) is None or len(a) != len(b) or len(a) == 0
        return
    assert sig.shape == (documents(len(hashes), offs), len(a))


@FUZZ
@given(sig=hnp.arrays(np.uint32, st.tuples(st.integers(0, 5), st.integers(0, 12))),
       bands=st.integers(-1, 14), rows=st.integers(-1, 14), seed=st.integers(0, 2**64 - 1))
def test_band_keys(sig: np.ndarray, bands: int, rows: int, seed: int) -> None:
    try:
        keys = _minhash.band_keys(sig, bands, rows, seed)
    except InvalidInput:
        assert bands < 1 or rows < 1 or bands * rows > sig.shape[1]
        return
    assert keys.shape == (sig.shape[0], bands) and bands * rows <= sig.shape[1]


@FUZZ
@given(data=texts, offs=offsets)
def test_question_keys(data: bytes, offs: np.ndarray) -> None:
    try:
        keys = _minhash.question_keys(data, offs)
    except InvalidInput:
        assert documents(len(data), offs) is None
        return
    assert keys.shape == (documents(len(data), offs),) and keys.dtype == np.uint64


@FUZZ
@given(data=texts, offs=offsets, short_len=st.integers(-2, 80))
def test_answer_keys(data: bytes, offs: np.ndarray, short_len: int) -> None:
    try:
        kinds, keys = _minhash.answer_keys(data, offs, short_len)
    except (InvalidInput, OverflowError):
        return
    n = documents(len(data), offs)
    assert kinds.shape == keys.shape == (n,)
    assert set(kinds.tolist()) <= {_minhash.ANSWER_NONE, _minhash.ANSWER_EXACT,
                                   _minhash.ANSWER_LONG}


@FUZZ
@given(hashes=hnp.arrays(np.uint32, st.integers(0, 40)), text=texts,
       shingle=shingles, ngram=ngrams, mode=digits)
def test_exclusion(hashes: np.ndarray, text: bytes, shingle: str, ngram: int, mode: str) -> None:
    """An exclusion set of any hashes (repeats, zero) drops exactly those shingles."""
    ex = _minhash.Exclusion(hashes)
    try:
        every = _minhash.shingle_hashes(text, shingle, ngram, mode)
        kept = _minhash.shingle_hashes(text, shingle, ngram, mode, exclude=ex)
    except InvalidInput:
        return
    excluded = set(hashes.tolist())
    assert kept.tolist() == [h for h in every.tolist() if h not in excluded]
