"""Normalization and exact hashes: the C kernel against a pure-Python reference of the spec in
csrc/normalize.h (kept independent of the C tables: its own ranges, Python's case folding)."""

from __future__ import annotations

import codecs
import unicodedata

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack import InvalidInput
from boostpack.deduplication.minhash import DIGIT_MODES, exact_hashes, normalize

# ----------------------------------------------------------------------------------------------
# Pure-Python reference of csrc/normalize.h.

SEP, WORD, CJK, DIGIT = "sep", "word", "cjk", "digit"

# Unicode 14 decimal digits (category Nd); frozen here so the reference does not move with the
# Python's Unicode version.
ND_RANGES = (
    (0x30, 0x39), (0x660, 0x669), (0x6F0, 0x6F9), (0x7C0, 0x7C9), (0x966, 0x96F),
    (0x9E6, 0x9EF), (0xA66, 0xA6F), (0xAE6, 0xAEF), (0xB66, 0xB6F), (0xBE6, 0xBEF),
    (0xC66, 0xC6F), (0xCE6, 0xCEF), (0xD66, 0xD6F), (0xDE6, 0xDEF), (0xE50, 0xE59),
    (0xED0, 0xED9), (0xF20, 0xF29), (0x1040, 0x1049), (0x1090, 0x1099), (0x17E0, 0x17E9),
    (0x1810, 0x1819), (0x1946, 0x194F), (0x19D0, 0x19D9), (0x1A80, 0x1A89), (0x1A90, 0x1A99),
    (0x1B50, 0x1B59), (0x1BB0, 0x1BB9), (0x1C40, 0x1C49), (0x1C50, 0x1C59), (0xA620, 0xA629),
    (0xA8D0, 0xA8D9), (0xA900, 0xA909), (0xA9D0, 0xA9D9), (0xA9F0, 0xA9F9), (0xAA50, 0xAA59),
    (0xABF0, 0xABF9), (0xFF10, 0xFF19), (0x104A0, 0x104A9), (0x10D30, 0x10D39),
    (0x11066, 0x1106F), (0x110F0, 0x110F9), (0x11136, 0x1113F), (0x111D0, 0x111D9),
    (0x112F0, 0x112F9), (0x11450, 0x11459), (0x114D0, 0x114D9), (0x11650, 0x11659),
    (0x116C0, 0x116C9), (0x11730, 0x11739), (0x118E0, 0x118E9), (0x11950, 0x11959),
    (0x11C50, 0x11C59), (0x11D50, 0x11D59), (0x11DA0, 0x11DA9), (0x16A60, 0x16A69),
    (0x16AC0, 0x16AC9), (0x16B50, 0x16B59), (0x1D7CE, 0x1D7FF), (0x1E140, 0x1E149),
    (0x1E2F0, 0x1E2F9), (0x1E950, 0x1E959), (0x1FBF0, 0x1FBF9),
)
SEP_RANGES = (
    (0x2000, 0x206F), (0x2E00, 0x2E7F), (0x3000, 0x3004), (0x3008, 0x3020), (0x3030, 0x3030),
    (0x3036, 0x3037), (0x303D, 0x303F), (0x30FB, 0x30FB), (0xFE10, 0xFE1F), (0xFE30, 0xFE6F),
    (0xFEFF, 0xFEFF), (0xFF5F, 0xFF65), (0xD7, 0xD7), (0xF7, 0xF7),
)
CJK_RANGES = (
    (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3031, 0x3035), (0x3038, 0x303C),
    (0x3040, 0x30FA), (0x30FC, 0x30FF), (0x3100, 0x312F), (0x31A0, 0x31BF), (0x31F0, 0x31FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F),
    (0x1B000, 0x1B16F), (0x20000, 0x323AF),
)
LATIN1_WORDS = {0xAA, 0xB2, 0xB3, 0xB5, 0xB9, 0xBA, 0xBC, 0xBD, 0xBE}


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def ref_fold(cp: int) -> int:
    """Full-width ASCII to ASCII, then simple case folding inside the covered blocks."""
    if 0xFF01 <= cp <= 0xFF5E:
        cp -= 0xFEE0
    if cp < 0x530 or 0x1E00 <= cp < 0x2000:
        c = chr(cp)
        for folded in (c.casefold(), c.lower()):
            if len(folded) == 1:
                return ord(folded)
    return cp


def ref_class(cp: int) -> str:
    """The class of an already folded codepoint."""
    if _in(cp, ND_RANGES):
        return DIGIT
    if cp < 0x80:
        return WORD if chr(cp).isascii() and chr(cp).isalpha() else SEP
    if cp < 0xC0:
        return WORD if cp in LATIN1_WORDS else SEP
    if _in(cp, SEP_RANGES):
        return SEP
    if _in(cp, CJK_RANGES):
        return CJK
    return WORD


def _fffd_per_byte(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    return "\ufffd", err.start + 1


codecs.register_error("boostpack-test-fffd", _fffd_per_byte)


def ref_decode(data: bytes) -> str:
    """Strict UTF-8; each byte that does not start a valid sequence is one U+FFFD."""
    return data.decode("utf-8", "boostpack-test-fffd")


def ref_units(data: bytes, digits: str = "keep") -> list[tuple[str, int]]:
    """(class, folded codepoint) of each normalized codepoint, the collapsed spaces included
    as (SEP, 0x20); a digit is a word character, itself with digits="keep", '0' with "class"."""
    out: list[tuple[str, int]] = []
    pending = False
    for ch in ref_decode(data):
        cp = ref_fold(ord(ch))
        cls = ref_class(cp)
        if cls == SEP:
            pending = bool(out)
            continue
        if pending:
            out.append((SEP, 0x20))
            pending = False
        if cls == DIGIT:
            cls, cp = WORD, (ord("0") if digits == "class" else cp)
        out.append((cls, cp))
    return out


def ref_normalize(data: bytes, digits: str = "keep") -> str:
    return "".join(chr(cp) for _, cp in ref_units(data, digits))


# ----------------------------------------------------------------------------------------------

def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# Multilingual text with the characters the rules single out (full-width, CJK punctuation, final
# sigma, dotted I, digits of other scripts, zero-width and ideographic spaces, emoji sequences).
MIXED = st.lists(
    st.sampled_from(
        [*"我爱北京天安门。，、「」…！？ＡＢＣｘ１２ abc DEF \t\n ΣΑΣς ПРИВЕТ ÀÉẞ İ ١٢٣ ¼µ —“”'",
         "😀", "👍🏽", "\u3000", "\u200b", "\ufeff", "\U00020000", "ｶﾞ", "가나", "Hello world "]
    ),
    max_size=40,
).map("".join)


@pytest.mark.parametrize("digits", DIGIT_MODES)
@given(text=st.one_of(st.text(max_size=60), MIXED))
def test_normalize_matches_reference_on_text(digits: str, text: str) -> None:
    assert normalize(text, digits=digits) == ref_normalize(_utf8(text), digits)


@pytest.mark.parametrize("digits", DIGIT_MODES)
@given(data=st.binary(max_size=60))
def test_normalize_matches_reference_on_arbitrary_bytes(digits: str, data: bytes) -> None:
    assert normalize(data, digits=digits) == ref_normalize(data, digits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello,   World!!", "hello world"),
        ("  \t\n ", ""),
        ("", ""),
        ("ÀÉÎÕÜ Ÿ", "àéîõü ÿ"),
        ("ΣΟΦΟΣ σοφός", "σοφοσ σοφόσ"),
        ("ПРИВЕТ, мир", "привет мир"),
        ("TIẾNG VIỆT", "tiếng việt"),
        ("「你好」，世界。", "你好 世界"),
        ("東京タワー・スカイツリー", "東京タワー スカイツリー"),
        ("a—b…c", "a b c"),
        ("x\u200by\ufeffz", "x y z"),
        ("µ ß ſ", "μ ß s"),
        ("😀 emoji 👍🏽", "😀 emoji 👍🏽"),
    ],
)
def test_normalize_examples(text: str, expected: str) -> None:
    for digits in DIGIT_MODES:
        assert normalize(text, digits=digits) == expected


@pytest.mark.parametrize(
    ("text", "keep", "digit_class"),
    [
        ("ＡＢＣ１２３！", "abc123", "abc000"),
        ("Version 3.14 costs $42", "version 3 14 costs 42", "version 0 00 costs 00"),
        ("٣ + ३ = ６", "٣ ३ 6", "0 0 0"),
        ("2×3÷4", "2 3 4", "0 0 0"),
        ("x² 𝟗 ¼", "x² 𝟗 ¼", "x² 0 ¼"),  # superscripts and fractions are not Nd digits
    ],
)
def test_normalize_digit_modes(text: str, keep: str, digit_class: str) -> None:
    assert normalize(text) == normalize(text, digits="keep") == keep
    assert normalize(text, digits="class") == digit_class


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a\xffb", "a\ufffdb"),
        (b"\xc3", "\ufffd"),                       # truncated 2-byte sequence
        (b"\xe4\xb8", "\ufffd\ufffd"),             # truncated 3-byte sequence: one per byte
        (b"\xed\xa0\x80", "\ufffd" * 3),           # encoded surrogate
        (b"\xc0\xaf", "\ufffd\ufffd"),             # overlong '/'
        (b"\xf4\x90\x80\x80", "\ufffd" * 4),       # above U+10FFFF
        (b"\xe4\xb8\xad", "中"),
    ],
)
def test_invalid_utf8_is_one_replacement_per_byte(data: bytes, expected: str) -> None:
    assert normalize(data) == expected


def test_lone_surrogate_in_str_is_replaced() -> None:
    assert normalize("a\ud800b") == "a\ufffd\ufffd\ufffdb"


def test_frozen_tables_agree_with_unicode_database() -> None:
    # The frozen ranges describe what they claim in this Python's Unicode database.
    for lo, hi in ND_RANGES:
        assert all(unicodedata.category(chr(cp)) == "Nd" for cp in range(lo, hi + 1))
    for lo, hi in CJK_RANGES[-7:]:
        assert all(unicodedata.category(chr(cp))[0] in "LNMC" for cp in range(lo, hi + 1))
    for cp in range(0x20, 0xC0):
        if cp not in LATIN1_WORDS and not chr(cp).isalnum():
            assert ref_class(cp) == SEP


# ----------------------------------------------------------------------------------------------
# Exact hashes: MurmurHash3_x64_128 (seed 0) of the normalized UTF-8, reference in pure Python.

M64 = (1 << 64) - 1


def _rotl64(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & M64


def _fmix64(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & M64
    return k ^ (k >> 33)


def ref_murmur3_x64_128(key: bytes, seed: int = 0) -> tuple[int, int]:
    c1, c2 = 0x87C37B91114253D5, 0x4CF5AD432745937F
    h1 = h2 = seed
    nblocks = len(key) // 16
    for i in range(nblocks):
        k1 = int.from_bytes(key[16 * i:16 * i + 8], "little")
        k2 = int.from_bytes(key[16 * i + 8:16 * i + 16], "little")
        k1 = (_rotl64((k1 * c1) & M64, 31) * c2) & M64
        h1 ^= k1
        h1 = (((_rotl64(h1, 27) + h2) & M64) * 5 + 0x52DCE729) & M64
        k2 = (_rotl64((k2 * c2) & M64, 33) * c1) & M64
        h2 ^= k2
        h2 = (((_rotl64(h2, 31) + h1) & M64) * 5 + 0x38495AB5) & M64
    tail = key[16 * nblocks:]
    if len(tail) > 8:
        k2 = int.from_bytes(tail[8:], "little")
        h2 ^= (_rotl64((k2 * c2) & M64, 33) * c1) & M64
    if tail:
        k1 = int.from_bytes(tail[:8], "little")
        h1 ^= (_rotl64((k1 * c1) & M64, 31) * c2) & M64
    h1 ^= len(key)
    h2 ^= len(key)
    h1 = (h1 + h2) & M64
    h2 = (h2 + h1) & M64
    h1, h2 = _fmix64(h1), _fmix64(h2)
    h1 = (h1 + h2) & M64
    h2 = (h2 + h1) & M64
    return h1, h2


def _pack(docs: list[bytes]) -> tuple[bytes, np.ndarray]:
    offsets = np.zeros(len(docs) + 1, dtype=np.uint64)
    np.cumsum([len(d) for d in docs], out=offsets[1:])
    return b"".join(docs), offsets


def test_murmur3_reference_known_vectors() -> None:
    # Published MurmurHash3_x64_128 outputs (as mmh3.hash64(..., signed=False) pairs).
    assert ref_murmur3_x64_128(b"") == (0, 0)
    assert ref_murmur3_x64_128(b"hello") == (0xCBD8A7B341BD9B02, 0x5B1E906A48AE1D19)


@pytest.mark.parametrize("digits", DIGIT_MODES)
@given(docs=st.lists(st.one_of(st.text(max_size=50).map(_utf8), st.binary(max_size=50),
                               MIXED.map(_utf8)), max_size=8))
def test_exact_hashes_match_reference(digits: str, docs: list[bytes]) -> None:
    data, offsets = _pack(docs)
    got = exact_hashes(data, offsets, digits=digits)
    assert got.dtype == np.uint64 and got.shape == (len(docs), 2)
    for doc, (lo, hi) in zip(docs, got, strict=True):
        assert (int(lo), int(hi)) == ref_murmur3_x64_128(ref_normalize(doc, digits).encode("utf-8"))


def test_exact_hashes_equal_for_normalization_variants() -> None:
    docs = [b"What is 2+2?  Four.", "WHAT IS 2+2 — FOUR!".encode(), b"what is 2 2 four",
            b"what is four", b"What is 7+9? Four."]
    h = exact_hashes(*_pack(docs))
    assert (h[0] == h[1]).all() and (h[0] == h[2]).all()
    assert not (h[0] == h[3]).all() and not (h[0] == h[4]).all()
    h = exact_hashes(*_pack(docs), digits="class")
    assert (h[0] == h[4]).all()


def test_exact_hashes_validate_offsets() -> None:
    with pytest.raises(InvalidInput, match="non-decreasing"):
        exact_hashes(b"abcdef", np.array([0, 4, 2], dtype=np.uint64))
    with pytest.raises(InvalidInput, match="past the end"):
        exact_hashes(b"abc", [0, 4])
    with pytest.raises(InvalidInput, match="non-negative"):
        exact_hashes(b"abc", [-1, 2])
    with pytest.raises(InvalidInput, match="integers"):
        exact_hashes(b"abc", [0.0, 2.0])
    with pytest.raises(InvalidInput, match="uint8"):
        exact_hashes(np.zeros(3, dtype=np.int64), [0, 1])
    assert exact_hashes(b"", [0]).shape == (0, 2)
