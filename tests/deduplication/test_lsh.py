"""LSH parameters against datasketch, band keys, signature similarity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack import InvalidInput, MinHasher
from boostpack.deduplication.lsh import (
    DEFAULT_THRESHOLD,
    band_key,
    band_keys,
    optimal_params,
    signature_similarity,
)

datasketch = pytest.importorskip("datasketch")
from datasketch.lsh import _optimal_param  # noqa: E402


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.2, 0.8), (0.9, 0.1)])
def test_optimal_params_equal_datasketch(num_perm: int, weights: tuple[float, float]) -> None:
    thresholds = [0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.8, 0.9, 0.95] if num_perm <= 128 else [0.3, 0.5, 0.8]
    for threshold in thresholds:
        assert optimal_params(threshold, num_perm, *weights) == _optimal_param(threshold, num_perm, *weights)


def test_default_threshold_params_are_usable() -> None:
    bands, rows = optimal_params(DEFAULT_THRESHOLD, 128)
    assert bands >= 2 and bands * rows <= 128


def test_optimal_params_reject_bad_arguments() -> None:
    with pytest.raises(InvalidInput):
        optimal_params(1.5, 128)
    with pytest.raises(InvalidInput):
        optimal_params(0.5, 0)
    with pytest.raises(InvalidInput):
        optimal_params(0.5, 128, -1.0, 0.5)


@given(st.integers(1, 40), st.integers(1, 8), st.integers(1, 8), st.integers(0, 2**64 - 1),
       st.randoms(use_true_random=False))
def test_band_keys_equal_iff_bands_equal(n: int, bands: int, rows: int, seed: int, rnd) -> None:
    num_perm = bands * rows + rnd.randint(0, 3)
    gen = np.random.default_rng(rnd.randint(0, 2**32))
    sig = gen.integers(0, 4, size=(n, num_perm), dtype=np.uint32)  # small alphabet: many ties
    keys = band_keys(sig, bands, rows, seed=seed)
    assert keys.dtype == np.uint64 and keys.shape == (n, bands)
    for j in range(bands):
        block = sig[:, j * rows:(j + 1) * rows]
        for x in range(n):
            for y in range(x + 1, n):
                same = bool((block[x] == block[y]).all())
                assert (keys[x, j] == keys[y, j]) == same


def test_band_index_and_seed_are_mixed_in() -> None:
    sig = np.zeros((1, 8), dtype=np.uint32)  # every band holds the same rows
    keys = band_keys(sig, 4, 2)
    assert len(set(keys[0].tolist())) == 4
    assert (band_keys(sig, 4, 2, seed=1) != keys).all()
    np.testing.assert_array_equal(band_keys(sig, 4, 2), keys)  # deterministic


@given(st.integers(1, 40), st.sampled_from([(25, 5), (9, 13), (1, 128), (128, 1), (20, 6)]),
       st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1))
def test_one_band_key_equals_its_column_of_all_band_keys(n: int, shape: tuple[int, int], seed: int,
                                                         data_seed: int) -> None:
    """Band tasks compute their band's keys alone; they must be the keys of the whole set."""
    bands, rows = shape
    # Signatures from a drawn seed: 40 x 128 random words drawn one by one from hypothesis
    # went past its entropy budget (a FailedHealthCheck now and then).
    sig = np.random.default_rng(data_seed).integers(0, 2**32, size=(n, 128), dtype=np.uint32)
    full = band_keys(sig, bands, rows, seed)
    for band in range(bands):
        np.testing.assert_array_equal(band_key(sig, band, rows, seed), full[:, band])


def test_band_key_rejects_a_band_past_the_signature() -> None:
    sig = np.zeros((2, 128), dtype=np.uint32)
    with pytest.raises(InvalidInput, match="band 25"):
        band_key(sig, 25, 5)


def test_band_keys_of_random_signatures_do_not_collide() -> None:
    sig = np.random.default_rng(0).integers(0, 2**32, size=(20_000, 128), dtype=np.uint32)
    keys = band_keys(sig, 16, 8)
    assert len(np.unique(keys)) == keys.size


def test_band_keys_reject_bad_input() -> None:
    sig = np.zeros((2, 8), dtype=np.uint32)
    with pytest.raises(InvalidInput, match="bands"):
        band_keys(sig, 3, 3)
    with pytest.raises(InvalidInput, match="bands"):
        band_keys(sig, 0, 3)
    with pytest.raises(InvalidInput, match="bands"):
        band_keys(sig, 2**40, 2**40)  # the product would wrap around
    with pytest.raises(InvalidInput, match="uint32"):
        band_keys(sig.astype(np.int64), 2, 2)
    with pytest.raises(InvalidInput, match="uint32"):
        band_keys(sig[0], 2, 2)
    with pytest.raises(InvalidInput, match="seed"):
        band_keys(sig, 2, 2, seed=-1)
    np.testing.assert_array_equal(band_keys(np.zeros((4, 16), dtype=np.uint32)[:, ::2], 2, 2),
                                  band_keys(np.zeros((4, 8), dtype=np.uint32), 2, 2))


def test_signature_similarity_equals_datasketch_jaccard() -> None:
    hasher = MinHasher(num_perm=64)
    texts = ["the quick brown fox jumps over the lazy dog", "the quick brown fox jumped over a lazy dog",
             "an entirely different sentence", ""]
    sigs = hasher.signatures(texts)
    a, b = sigs[[0, 0, 1, 3]], sigs[[1, 2, 2, 3]]
    sim = signature_similarity(a, b)
    assert sim.dtype == np.float32 and sim.shape == (4,)
    for i in range(4):
        ma = datasketch.MinHash(64, seed=1, scheme="affine32", hashvalues=a[i])
        mb = datasketch.MinHash(64, seed=1, scheme="affine32", hashvalues=b[i])
        assert sim[i] == pytest.approx(ma.jaccard(mb), abs=1e-7)
    with pytest.raises(InvalidInput, match="same shape"):
        signature_similarity(a, b[:2])
    with pytest.raises(InvalidInput, match="uint32"):
        signature_similarity(a.astype(np.int64), b)


def test_lsh_finds_near_duplicates_and_not_strangers() -> None:
    hasher = MinHasher()
    bands, rows = optimal_params(DEFAULT_THRESHOLD, hasher.num_perm)
    base = "Which planet in the solar system has the most moons, and how many are confirmed?"
    near = base.replace("confirmed", "known").replace("Which", "What")
    far = "Name the chemical element with atomic number 79 and give its symbol."
    keys = band_keys(hasher.signatures([base, near, far]), bands, rows)
    assert (keys[0] == keys[1]).any()
    assert not (keys[0] == keys[2]).any()


def _word(i: int) -> str:
    """A distinct letters-only word per integer (digits would all normalize to '0')."""
    letters = ""
    while True:
        i, d = divmod(i, 26)
        letters += chr(ord("a") + d)
        if i == 0:
            return "x" + letters


@pytest.mark.parametrize(("overlap", "jaccard"), [(50, 1 / 3), (75, 0.6), (89, 0.8)])
def test_band_collision_rate_follows_theory(overlap: int, jaccard: float) -> None:
    """Two documents of word 1-gram sets with a known Jaccard collide in at least one band with
    probability 1 - (1 - J^r)^b; checked over 300 independent seeds (within 4 sigma)."""
    size = 100
    union = 2 * size - overlap
    assert overlap / union == pytest.approx(jaccard, abs=0.01)
    left = " ".join(_word(i) for i in range(size))
    right = " ".join(_word(i) for i in range(size - overlap, 2 * size - overlap))
    bands, rows = optimal_params(DEFAULT_THRESHOLD, 128)
    hits = 0
    trials = 300
    for seed in range(trials):
        sigs = MinHasher(num_perm=128, ngram=1, shingle="word", seed=seed).signatures([left, right])
        keys = band_keys(sigs, bands, rows)
        hits += bool((keys[0] == keys[1]).any())
    j = overlap / union
    expected = 1 - (1 - j**rows) ** bands
    sigma = np.sqrt(expected * (1 - expected) / trials)
    assert abs(hits / trials - expected) <= 4 * sigma + 1 / trials, (hits / trials, expected)
