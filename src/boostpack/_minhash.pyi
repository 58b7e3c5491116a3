"""Compiled glue over csrc/normalize.h, csrc/minhash.h and csrc/lsh.h (see
boostpack.deduplication.minhash for the API)."""

import numpy as np
from numpy.typing import NDArray

MAX_NGRAM: int
MAX_DOCUMENT: int
SHINGLE_CHAR: int
SHINGLE_WORD: int
ISAS: dict[str, int]

def best_isa() -> str: ...

def normalize_utf8(text: bytes | NDArray[np.uint8], digits: str) -> bytes: ...
def exact_hashes(
    data: bytes | NDArray[np.uint8], offsets: NDArray[np.uint64], digits: str
) -> NDArray[np.uint64]: ...
def shingle_hashes(
    text: bytes | NDArray[np.uint8], shingle: str, ngram: int, digits: str, isa: str = "best"
) -> NDArray[np.uint32]: ...
def signatures(
    data: bytes | NDArray[np.uint8],
    offsets: NDArray[np.uint64],
    a: NDArray[np.uint32],
    b: NDArray[np.uint32],
    shingle: str,
    ngram: int,
    digits: str,
    isa: str = "best",
) -> NDArray[np.uint32]: ...
def signatures_of_hashes(
    hashes: NDArray[np.uint32],
    offsets: NDArray[np.uint64],
    a: NDArray[np.uint32],
    b: NDArray[np.uint32],
) -> NDArray[np.uint32]: ...
def band_keys(sig: NDArray[np.uint32], bands: int, rows: int, seed: int) -> NDArray[np.uint64]: ...
