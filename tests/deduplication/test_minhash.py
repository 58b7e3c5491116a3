"""MinHash signatures: shingle hashes against a pure-Python reference of csrc/minhash.h, and
signatures bit-identical to datasketch 2.0's affine32 MinHash (the oracle), plus accuracy against
true Jaccard on real QA."""

from __future__ import annotations

import io
import json
import random
import string

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_normalize import MIXED, SEP, ref_units

from boostpack import InvalidInput, MinHasher, _minhash
from boostpack.deduplication.minhash import DIGIT_MODES, EMPTY_HASH_VALUE, permutations

datasketch = pytest.importorskip("datasketch")

M32 = 0xFFFFFFFF


def fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    return h ^ (h >> 16)


def rotl32(x: int, r: int) -> int:
    r &= 31
    return ((x << r) | (x >> (32 - r))) & M32 if r else x


def fnv_unit(cps: list[int]) -> int:
    h = 0x811C9DC5
    for cp in cps:
        h = ((h ^ cp) * 0x01000193) & M32
    return fmix32(h)


def ref_shingle_hashes(data: bytes, shingle: str, n: int, digits: str = "keep") -> list[int]:
    """The spec of csrc/minhash.h, written plainly: units, then XOR of rotated unit hashes."""
    units = ref_units(data, digits)
    if shingle == "char":
        unit_hashes = [fnv_unit([cp]) for _, cp in units]
    else:
        unit_hashes, word = [], []
        for cls, cp in [*units, (SEP, 0x20)]:
            if cls == "word":
                word.append(cp)
                continue
            if word:
                unit_hashes.append(fnv_unit(word))
                word = []
            if cls == "cjk":
                unit_hashes.append(fnv_unit([cp]))

    def combine(ks: list[int]) -> int:
        h = 0
        for j, k in enumerate(ks):
            h ^= rotl32(k, len(ks) - 1 - j)
        return h

    if 0 < len(unit_hashes) < n:
        return [combine(unit_hashes)]
    return [combine(unit_hashes[i:i + n]) for i in range(len(unit_hashes) - n + 1)]


def oracle(values: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    m = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=lambda v: v)
    m.update_batch(values.tolist())
    return m.hashvalues


# Mostly-ASCII text longer than the kernel's 16-byte blocks, with the odd non-ASCII character
# falling anywhere in a block (the block path and the per-codepoint path must agree); digits of
# several scripts, so both digit modes are exercised in both paths.
ASCII_HEAVY = st.text(alphabet=st.sampled_from([*string.printable, *"0123456789", "é", "中", "Ｚ",
                                                "\u3000", "７", "٣"]),
                      max_size=200)
TEXTS = st.one_of(st.text(max_size=80), MIXED, st.binary(max_size=60), ASCII_HEAVY)
PARAMS = st.tuples(
    st.sampled_from([1, 7, 64, 96, 128, 200]),    # num_perm: tails, exact blocks, both
    st.sampled_from([0, 1, 42, 2**32 - 1]),        # seed
    st.sampled_from([1, 2, 3, 5, 9, 32]),          # ngram
    st.sampled_from(["char", "word"]),
)


@pytest.mark.parametrize("digits", DIGIT_MODES)
@given(text=TEXTS, params=PARAMS)
def test_signature_equals_datasketch_affine32(digits: str, text: str | bytes, params: tuple) -> None:
    num_perm, seed, ngram, shingle = params
    hasher = MinHasher(num_perm=num_perm, ngram=ngram, seed=seed, shingle=shingle, digits=digits)
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    hashes = hasher.shingle_hashes(text)
    assert hashes.dtype == np.uint32
    assert hashes.tolist() == ref_shingle_hashes(raw, shingle, ngram, digits)
    sig = hasher.signatures([text])
    assert sig.dtype == np.uint32 and sig.shape == (1, num_perm)
    np.testing.assert_array_equal(sig[0], oracle(hashes, num_perm, seed))


# Longer documents for the vector paths of the unit hashing: 64-byte ASCII blocks, words of 1 to
# 90 bytes (8-byte rounds, words across blocks), non-ASCII letters inside and around words
# (a word continues through them), CJK, separators of every kind and invalid UTF-8.
PIECES = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12),
    st.text(alphabet=string.ascii_lowercase, min_size=13, max_size=90),
    st.sampled_from(["café", "naïve", "Ａｂｃ", "中文", "日本語", "٣٤", "ß", "ﬁ", "\u00ad", "ΣΑΣ"]),
    st.sampled_from([" ", "  ", ", ", ".\n", "\t", "—", "。", "、", "!?", "\u3000"]),
).map(lambda piece: piece.encode())
BLOCKY = st.lists(st.one_of(PIECES, st.sampled_from([b"\xff", b"\xc3", b"\xe4\xb8", b"\x80"])),
                  max_size=100).map(b"".join)
ISAS = ("portable", "avx2", "avx512")


@pytest.mark.parametrize("digits", DIGIT_MODES)
@given(text=BLOCKY, ngram=st.sampled_from([1, 3, 5]), shingle=st.sampled_from(["char", "word"]))
def test_every_instruction_set_gives_the_reference(digits: str, text: bytes, ngram: int,
                                                   shingle: str) -> None:
    """Each unit-hashing path (pinned; one the CPU lacks falls back to the best it has) gives the
    reference shingles and the same signatures."""
    ref = ref_shingle_hashes(text, shingle, ngram, digits)
    a, b = permutations(64, 1)
    offsets = np.array([0, len(text)], dtype=np.uint64)
    sigs = []
    for isa in ISAS:
        assert _minhash.shingle_hashes(text, shingle, ngram, digits, isa).tolist() == ref, isa
        sigs.append(_minhash.signatures(text, offsets, a, b, shingle, ngram, digits, isa))
    for sig in sigs[1:]:
        np.testing.assert_array_equal(sig, sigs[0])


@pytest.mark.parametrize("isa", ISAS)
def test_words_at_block_and_round_edges(isa: str) -> None:
    texts = [b"a" * 63 + b" b", b"x" * 64, b"y" * 65 + "é".encode() + b"z" * 70, b"w" * 8 + b" v",
             b"q" * 9, b" " * 64 + b"end", "é".encode() * 40 + b"abc", b"ab" + "中".encode() * 30,
             *("中文".encode() + b"a" * k + "字".encode() + b"b" * k for k in (1, 15, 16, 17)),
             "䷀中\n".encode() * 9 + "一".encode()[:2]]  # U+4DC0 is no ideograph; a cut one
    for text in texts:
        for shingle in ("char", "word"):
            got = _minhash.shingle_hashes(text, shingle, 2, "keep", isa).tolist()
            assert got == ref_shingle_hashes(text, shingle, 2), (text, shingle)


@given(values=st.lists(st.lists(st.integers(0, M32), max_size=50), max_size=8),
       num_perm=st.sampled_from([1, 32, 64, 128, 200]))
def test_signatures_of_hashes_equal_datasketch(values: list, num_perm: int) -> None:
    hasher = MinHasher(num_perm=num_perm)
    flat = np.array([v for row in values for v in row], dtype=np.uint32)
    offsets = np.cumsum([0, *map(len, values)])
    sigs = hasher.signatures_of_hashes(flat, offsets)
    assert sigs.shape == (len(values), num_perm)
    for row, sig in zip(values, sigs, strict=True):
        np.testing.assert_array_equal(sig, oracle(np.array(row, dtype=np.uint32), num_perm, 1))


def test_signatures_of_hashes_are_the_permutation_stage() -> None:
    hasher = MinHasher(shingle="word")
    texts = ["What is the capital of France? Paris.", "", "我爱北京天安门", "one"]
    hashes = [hasher.shingle_hashes(t) for t in texts]
    offsets = np.cumsum([0, *map(len, hashes)])
    np.testing.assert_array_equal(hasher.signatures_of_hashes(np.concatenate(hashes), offsets),
                                  hasher.signatures(texts))
    with pytest.raises(InvalidInput, match="uint32"):
        hasher.signatures_of_hashes(np.zeros(3, dtype=np.int64), [0, 3])
    with pytest.raises(InvalidInput, match="past the end"):
        hasher.signatures_of_hashes(np.zeros(3, dtype=np.uint32), [0, 4])


def test_documents_past_the_size_limit_are_refused() -> None:
    huge = np.zeros(_minhash.MAX_DOCUMENT + 1, dtype=np.uint8)  # calloc'd: never touched
    with pytest.raises(InvalidInput, match="at most"):
        MinHasher().signatures_packed(huge, [0, len(huge)])


@pytest.mark.parametrize("digits", DIGIT_MODES)
@given(texts=st.lists(TEXTS, max_size=12), lead=st.integers(0, 7))
def test_batch_equals_one_at_a_time(digits: str, texts: list, lead: int) -> None:
    hasher = MinHasher(num_perm=32, ngram=3, digits=digits)
    batch = hasher.signatures(texts)
    assert batch.shape == (len(texts), 32)
    for text, row in zip(texts, batch, strict=True):
        np.testing.assert_array_equal(row, hasher.signatures([text])[0])
    # signatures_packed over a buffer with leading garbage and offsets not starting at 0
    encoded = [t.encode("utf-8", "surrogatepass") if isinstance(t, str) else t for t in texts]
    data = b"\xff" * lead + b"".join(encoded)
    offsets = np.cumsum([lead, *map(len, encoded)]).astype(np.int64)
    np.testing.assert_array_equal(hasher.signatures_packed(data, offsets), batch)
    as_array = np.frombuffer(data, dtype=np.uint8)
    np.testing.assert_array_equal(hasher.signatures_packed(as_array, offsets), batch)


@pytest.mark.parametrize("num_perm", [64, 128, 200])
def test_repeated_shingles_and_shared_neighbours_match_datasketch(num_perm: int) -> None:
    # The kernel drops a document's repeated shingles through a 2048-slot table tagged per
    # document: long repetitive documents (more distinct shingles than slots, so slots are
    # overwritten) and neighbours sharing shingles (stale tags) must still give the oracle.
    rng = random.Random(3)
    vocab = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 7))) for _ in range(300)]
    long_doc = " ".join(rng.choices(vocab, k=6000))
    texts = [long_doc, long_doc, "abc abc abc abc abc", long_doc[:5000], "abc abc", long_doc[::-1],
             " ".join(vocab[:40]) * 30, "x"]
    hasher = MinHasher(num_perm=num_perm, ngram=5)
    sigs = hasher.signatures(texts)
    for text, sig in zip(texts, sigs, strict=True):
        np.testing.assert_array_equal(sig, oracle(hasher.shingle_hashes(text), num_perm, 1))
    np.testing.assert_array_equal(sigs[0], sigs[1])


def test_permutations_are_datasketch_parameters() -> None:
    for num_perm, seed in [(128, 1), (7, 0), (256, 12345)]:
        a, b = permutations(num_perm, seed)
        ref = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        np.testing.assert_array_equal(a, ref[0])
        np.testing.assert_array_equal(b, ref[1])
        assert (a & 1).all()


@pytest.mark.parametrize("text", ["", "   ", "!!!…。、", b"", b"\t\n"])
def test_empty_document_is_the_empty_marker(text: str | bytes) -> None:
    hasher = MinHasher(num_perm=16)
    assert hasher.shingle_hashes(text).size == 0
    sig = hasher.signatures([text])[0]
    assert (sig == EMPTY_HASH_VALUE).all()
    np.testing.assert_array_equal(sig, datasketch.MinHash(16, seed=1, scheme="affine32").hashvalues)


@pytest.mark.parametrize("shingle", ["char", "word"])
def test_short_document_is_one_shingle(shingle: str) -> None:
    hasher = MinHasher(ngram=5, shingle=shingle)
    assert hasher.shingle_hashes("a b" if shingle == "word" else "ab").size == 1
    # and it differs from the other short documents
    assert hasher.shingle_hashes("ab")[0] != hasher.shingle_hashes("ba")[0]


def test_char_and_word_shingle_counts() -> None:
    char5 = MinHasher(ngram=5, shingle="char")
    assert char5.shingle_hashes("Hello, World!").size == len("hello world") - 4
    word2 = MinHasher(ngram=2, shingle="word")
    assert word2.shingle_hashes("one two three four").size == 3
    # every CJK character is a word: 7 characters -> 6 word bigrams
    assert word2.shingle_hashes("我爱北京天安门").size == 6
    assert word2.shingle_hashes("我爱 北京，天安门").tolist() == word2.shingle_hashes("我爱北京天安门").tolist()


def test_normalization_variants_share_signatures() -> None:
    texts = ["What is 2+2? Four.", "WHAT IS 2 + 2 ?? four", "what is 3 5 four"]
    sigs = MinHasher().signatures(texts)
    assert (sigs[0] == sigs[1]).all() and not (sigs[0] == sigs[2]).all()
    sigs = MinHasher(digits="class").signatures(texts)
    assert (sigs[0] == sigs[1]).all() and (sigs[0] == sigs[2]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_perm": 0}, "num_perm"),
        ({"ngram": 0}, "ngram"),
        ({"ngram": 33}, "ngram"),
        ({"shingle": "token"}, "shingle"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**32}, "seed"),
        ({"digits": "none"}, "digits"),
        ({"digits": None}, "digits"),
    ],
)
def test_bad_parameters_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        MinHasher(**kwargs)


def test_bad_buffers_and_offsets_raise() -> None:
    hasher = MinHasher(num_perm=8)
    with pytest.raises(InvalidInput, match="non-decreasing"):
        hasher.signatures_packed(b"abcdef", [0, 4, 2])
    with pytest.raises(InvalidInput, match="past the end"):
        hasher.signatures_packed(b"abc", [0, 2, 10])
    with pytest.raises(InvalidInput, match="past the end"):
        hasher.signatures_packed(b"abc", np.array([0, 2**64 - 1], dtype=np.uint64))
    with pytest.raises(InvalidInput, match="non-negative"):
        hasher.signatures_packed(b"abc", [-1, 2])
    with pytest.raises(InvalidInput, match="integers"):
        hasher.signatures_packed(b"abc", np.array([0.0, 3.0]))
    with pytest.raises(InvalidInput, match="1-D"):
        hasher.signatures_packed(b"abc", np.array([[0, 3]]))
    with pytest.raises(InvalidInput, match="non-empty"):
        hasher.signatures_packed(b"abc", [])
    with pytest.raises(InvalidInput, match="uint8"):
        hasher.signatures_packed(np.zeros(4, dtype=np.uint16), [0, 1])
    with pytest.raises(InvalidInput, match="bytes-like"):
        hasher.signatures_packed("not bytes", [0, 1])
    with pytest.raises(InvalidInput, match="str or bytes"):
        hasher.signatures([1234])  # type: ignore[list-item]
    assert hasher.signatures_packed(b"", [0]).shape == (0, 8)
    assert hasher.signatures([]).shape == (0, 8)


def test_non_contiguous_inputs_are_accepted() -> None:
    hasher = MinHasher(num_perm=8)
    wide = np.frombuffer(b"aAbBcCdDeEfF", dtype=np.uint8)[::2]  # "abcdef", strided
    offsets = np.array([0, 3, 0, 6], dtype=np.uint64)[::2]       # [0, 0]: strided too
    got = hasher.signatures_packed(wide, np.array([0, 3, 6]))
    np.testing.assert_array_equal(got, hasher.signatures(["abc", "def"]))
    assert hasher.signatures_packed(wide, offsets).shape == (1, 8)


def _qa_texts(corpora_dir, limit: int) -> list[str]:
    zstandard = pytest.importorskip("zstandard")
    texts = []
    with open(corpora_dir / "qa_en.jsonl.zst", "rb") as fh:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        for i, line in enumerate(reader):
            if i % 37 == 0:  # spread over the tasks, which the file stores in runs
                rec = json.loads(line)
                texts.append(f"{rec['question']}\n{rec['answer']}")
                if len(texts) == limit:
                    break
    return texts


def test_jaccard_estimate_error_within_theory_on_real_qa(corpora_dir) -> None:
    """MAE of the 128-permutation estimate vs the true Jaccard of the shingle sets, on real QA
    pairs spanning the similarity range (edited copies and unrelated items), is within the
    binomial theory: E|est - J| ~= sqrt(2/pi) * sqrt(J (1 - J) / P)."""
    rng = random.Random(7)
    texts = _qa_texts(corpora_dir, 400)
    pairs = []
    for text in texts:
        words = text.split()
        edited = [w for w in words if rng.random() > rng.choice([0.02, 0.1, 0.3, 0.6])]
        pairs.append((text, " ".join(edited)))
    pairs += [(texts[i], texts[i + 1]) for i in range(0, 100, 2)]
    hasher = MinHasher(num_perm=128)
    left = hasher.signatures([p[0] for p in pairs])
    right = hasher.signatures([p[1] for p in pairs])
    estimate = (left == right).mean(axis=1)
    truth, theory = [], []
    for a, b in pairs:
        sa, sb = set(hasher.shingle_hashes(a).tolist()), set(hasher.shingle_hashes(b).tolist())
        j = len(sa & sb) / len(sa | sb) if sa | sb else 1.0
        truth.append(j)
        theory.append(np.sqrt(2 / np.pi) * np.sqrt(j * (1 - j) / 128))
    truth_arr = np.array(truth)
    assert truth_arr.min() < 0.2 and truth_arr.max() > 0.9  # the pairs do span the range
    mae = np.abs(estimate - truth_arr).mean()
    assert mae <= 1.15 * np.mean(theory) + 0.002, (mae, np.mean(theory))
    assert mae <= 0.03


@pytest.mark.parametrize("num_perm", [7, 64, 128])
@given(texts=st.lists(TEXTS, min_size=1, max_size=6), pick=st.integers(0, 2**32 - 1),
       ngram=st.sampled_from([1, 3, 5]), shingle=st.sampled_from(["char", "word"]))
def test_excluded_shingles_leave_the_datasketch_signature_of_the_rest(
        num_perm: int, texts: list, pick: int, ngram: int, shingle: str) -> None:
    """An exclusion set (boilerplate) removes its shingles before anything else sees them: both
    the repeat-dropping block (num_perm >= 64) and the plain path (7) give the oracle signature
    of the shingles left, and shingle_hashes leaves them out in text order."""
    plain = MinHasher(num_perm=num_perm, ngram=ngram, shingle=shingle)
    rng = random.Random(pick)
    every = sorted({int(h) for t in texts for h in plain.shingle_hashes(t)})
    excluded = set(rng.sample(every, k=len(every) // 2)) | {0}  # 0: the flagged special case
    hasher = MinHasher(num_perm=num_perm, ngram=ngram, shingle=shingle,
                       exclude=np.array(sorted(excluded), dtype=np.uint32))
    sigs = hasher.signatures(texts)
    for text, sig in zip(texts, sigs, strict=True):
        left = [h for h in plain.shingle_hashes(text).tolist() if h not in excluded]
        assert hasher.shingle_hashes(text).tolist() == left
        np.testing.assert_array_equal(sig, oracle(np.array(left, dtype=np.uint32), num_perm, 1))


def test_exclusion_is_checked() -> None:
    with pytest.raises(InvalidInput, match="32-bit"):
        MinHasher(exclude=np.array([-1]))
    with pytest.raises(InvalidInput, match="32-bit"):
        MinHasher(exclude=np.zeros((2, 2), dtype=np.uint32))
    assert "exclude=<2 hashes>" in repr(MinHasher(exclude=[5, 5, 9]))
    assert len(MinHasher(exclude=[]).exclude) == 0
