"""MinHash signatures of raw UTF-8 text, bit-identical to datasketch 2.0's ``affine32`` scheme.

Normalization, shingling and hashing run in C in one pass over the bytes (``csrc/normalize.h`` and
``csrc/minhash.h`` define them exactly; ``docs/dedup-defaults.md`` explains the defaults). For any
text, ``datasketch.MinHash(num_perm, seed=seed, scheme="affine32", hashfunc=lambda v: v)`` updated
with ``shingle_hashes(text)`` has the same ``hashvalues`` as ``signatures([text])[0]``.
The defaults and the limits of the parameters are defined in ``boostpack.deduplication.settings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from boostpack import _minhash
from boostpack.deduplication.settings import (
    DEFAULT_DIGITS,
    DEFAULT_NGRAM,
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    DEFAULT_SHINGLE,
    DIGIT_MODES,
    check_digits,
    check_ngram,
    check_num_perm,
    check_seed,
    check_shingle,
)
from boostpack.errors import InvalidInput

# An empty document (nothing left after normalization) has no shingle; like an empty datasketch
# MinHash, its signature is this value in every position.
EMPTY_HASH_VALUE = 0xFFFFFFFF

__all__ = [
    "DEFAULT_DIGITS",
    "DEFAULT_NGRAM",
    "DEFAULT_NUM_PERM",
    "DEFAULT_SEED",
    "DEFAULT_SHINGLE",
    "DIGIT_MODES",
    "EMPTY_HASH_VALUE",
    "MinHasher",
    "exact_hashes",
    "normalize",
    "permutations",
]


def _utf8(text: str | bytes) -> bytes:
    # surrogatepass: a lone surrogate in a str becomes 3 invalid bytes, i.e. three U+FFFD, exactly
    # as the same bytes read from a file would.
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise InvalidInput(f"expected str or bytes, got {type(text).__name__}")


def _byte_buffer(data: Any) -> np.ndarray:
    """A contiguous uint8[size] view of bytes, bytearray, memoryview, mmap or a uint8 array."""
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8 or data.ndim != 1:
            raise InvalidInput(f"data must be a 1-D uint8 array, got {data.dtype}{list(data.shape)}")
        return np.ascontiguousarray(data)
    try:
        return np.frombuffer(data, dtype=np.uint8)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"data must be a bytes-like buffer: {err}") from err


def _offsets(offsets: Any) -> np.ndarray:
    """Offsets as contiguous uint64[n+1]; negative or non-integer offsets are rejected here."""
    arr = np.asarray(offsets)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInput(f"offsets must be a non-empty 1-D array, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise InvalidInput(f"offsets must be integers, got {arr.dtype}")
    if arr.dtype.kind == "i" and (arr < 0).any():
        raise InvalidInput("offsets must be non-negative")
    return np.ascontiguousarray(arr, dtype=np.uint64)


def _packed(texts: Sequence[str | bytes]) -> tuple[bytes, np.ndarray]:
    encoded = [_utf8(t) for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return b"".join(encoded), offsets


def normalize(text: str | bytes, digits: str = DEFAULT_DIGITS) -> str:
    """The normalized text used for shingling and exact dedup (definition: ``csrc/normalize.h``).

    Case-folded, full-width ASCII made ASCII, punctuation and whitespace runs collapsed to one
    space, stripped at both ends. Digits are word characters: kept as they are with
    ``digits="keep"``, every decimal digit (all scripts) turned into ``0`` with ``"class"``.
    Invalid UTF-8 bytes each become U+FFFD.
    """
    return _minhash.normalize_utf8(_utf8(text), check_digits(digits)).decode("utf-8")


def exact_hashes(data: Any, offsets: Any, digits: str = DEFAULT_DIGITS) -> np.ndarray:
    """uint64[n, 2]: 128-bit MurmurHash3_x64_128 (seed 0; low, high) of each normalized document.

    ``data`` is a buffer of concatenated UTF-8 documents, document i is
    ``data[offsets[i]:offsets[i+1]]`` (``offsets``: integers[n+1], non-decreasing, within data);
    ``digits`` is the normalization's digit mode (see ``normalize``).
    """
    return _minhash.exact_hashes(_byte_buffer(data), _offsets(offsets), check_digits(digits))


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), uint32[num_perm] each: datasketch 2.0's affine32 parameters for this seed.

    Drawn exactly as datasketch draws them: ``RandomState(seed)``, then all ``a`` (odd), then all
    ``b``; so signatures agree with ``datasketch.MinHash(num_perm, seed, scheme="affine32")``.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


class MinHasher:
    """Computes MinHash signatures (uint32[n, num_perm]) of UTF-8 documents in batches.

    ``shingle`` is ``"char"`` (n consecutive codepoints of the normalized text, its single spaces
    included) or ``"word"`` (n consecutive words; every CJK character is a word). A document with
    fewer than ``ngram`` units is one shingle; an empty one gets ``EMPTY_HASH_VALUE`` everywhere.
    ``digits`` is the normalization's digit mode (``"keep"`` or ``"class"``, see ``normalize``).
    ``exclude``: shingle hashes (as ``shingle_hashes`` gives them) that do not count, e.g. the
    boilerplate a corpus shares (``deduplication.boilerplate``): every method leaves them out, so
    a signature is the datasketch signature of the remaining shingles (all ``EMPTY_HASH_VALUE``
    when none remains).
    """

    num_perm: int
    ngram: int
    seed: int
    shingle: str
    digits: str
    exclude: np.ndarray

    def __init__(
        self,
        num_perm: int = DEFAULT_NUM_PERM,
        ngram: int = DEFAULT_NGRAM,
        seed: int = DEFAULT_SEED,
        shingle: str = DEFAULT_SHINGLE,
        digits: str = DEFAULT_DIGITS,
        exclude: Any = None,
    ) -> None:
        self.num_perm, self.ngram = check_num_perm(num_perm), check_ngram(ngram)
        self.seed, self.shingle, self.digits = check_seed(seed), check_shingle(shingle), check_digits(digits)
        self._a, self._b = permutations(num_perm, seed)
        self._exclude = None
        self.exclude = np.zeros(0, dtype=np.uint32)
        if exclude is not None:
            values = np.asarray(exclude)
            if values.ndim != 1 or (values.size and (values.dtype.kind not in "iu" or values.min() < 0
                                                     or values.max() > EMPTY_HASH_VALUE)):
                raise InvalidInput("exclude must be a 1-D array of 32-bit shingle hashes")
            if values.size:
                self._exclude = _minhash.Exclusion(values.astype(np.uint32))
                self.exclude = self._exclude.hashes

    def __repr__(self) -> str:
        excluded = f", exclude=<{len(self.exclude)} hashes>" if len(self.exclude) else ""
        return (f"MinHasher(num_perm={self.num_perm}, ngram={self.ngram}, seed={self.seed}, "
                f"shingle={self.shingle!r}, digits={self.digits!r}{excluded})")

    def signatures(self, texts: Sequence[str | bytes]) -> np.ndarray:
        """uint32[len(texts), num_perm]: one signature per text (str, or UTF-8 bytes)."""
        data, offsets = _packed(texts)
        return self.signatures_packed(data, offsets)

    def signatures_packed(self, data: Any, offsets: Any) -> np.ndarray:
        """uint32[n, num_perm] for the documents ``data[offsets[i]:offsets[i+1]]``.

        ``data``: bytes-like or uint8 array of concatenated UTF-8; ``offsets``: integers[n+1],
        non-decreasing, ``offsets[-1] <= len(data)``. One C call with the GIL released.
        """
        return _minhash.signatures(_byte_buffer(data), _offsets(offsets), self._a, self._b,
                                   self.shingle, self.ngram, self.digits, exclude=self._exclude)

    def shingle_hashes(self, text: str | bytes) -> np.ndarray:
        """uint32[k]: the shingle hashes of ``text`` in text order (repeats kept): the values
        datasketch's ``update_batch`` takes with an identity ``hashfunc`` (its fmix32 pre-mix
        comes after); excluded ones left out."""
        return _minhash.shingle_hashes(_utf8(text), self.shingle, self.ngram, self.digits,
                                       exclude=self._exclude)

    def signatures_of_hashes(self, hashes: Any, offsets: Any) -> np.ndarray:
        """uint32[n, num_perm] of pre-shingled documents: document i is the shingle hashes
        ``hashes[offsets[i]:offsets[i+1]]`` (uint32, repeats allowed, e.g. from
        ``shingle_hashes``), so ``signatures_of_hashes(shingle_hashes(t), [0, k])`` equals
        ``signatures([t])``. The permutation stage of ``signatures_packed`` on its own (the
        shingle, digit and ``exclude`` settings do not apply)."""
        values = np.asarray(hashes)
        if values.ndim != 1 or (values.size and values.dtype != np.uint32):
            raise InvalidInput(f"hashes must be a 1-D uint32 array, got {values.dtype}{list(values.shape)}")
        return _minhash.signatures_of_hashes(np.ascontiguousarray(values, dtype=np.uint32),
                                             _offsets(offsets), self._a, self._b)
