"""Compiled glue over csrc/normalize.h, csrc/minhash.h, csrc/lsh.h and csrc/itemkey.h (see
boostpack.deduplication.minhash for the API)."""

import numpy as np
from numpy.typing import NDArray
from typing_extensions import disjoint_base

MAX_NGRAM: int
MAX_DOCUMENT: int
SHINGLE_CHAR: int
SHINGLE_WORD: int
ANSWER_NONE: int
ANSWER_EXACT: int
ANSWER_LONG: int
ISAS: dict[str, int]

@disjoint_base
class Exclusion:
    hashes: NDArray[np.uint32]
    def __init__(self, hashes: NDArray[np.uint32] | list[int]) -> None: ...
    def __len__(self) -> int: ...

def best_isa() -> str: ...

def normalize_utf8(text: bytes | NDArray[np.uint8], digits: str) -> bytes: ...
def exact_hashes(
    data: bytes | NDArray[np.uint8], offsets: NDArray[np.uint64], digits: str
) -> NDArray[np.uint64]: ...
def shingle_hashes(
    text: bytes | NDArray[np.uint8],
    shingle: str,
    ngram: int,
    digits: str,
    isa: str = "best",
    exclude: Exclusion | None = None,
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
    exclude: Exclusion | None = None,
) -> NDArray[np.uint32]: ...
def signatures_of_hashes(
    hashes: NDArray[np.uint32],
    offsets: NDArray[np.uint64],
    a: NDArray[np.uint32],
    b: NDArray[np.uint32],
) -> NDArray[np.uint32]: ...
def band_keys(sig: NDArray[np.uint32], bands: int, rows: int, seed: int) -> NDArray[np.uint64]: ...
def sort_entries(keys: NDArray[np.uint64], docs: NDArray[np.uint32]) -> None: ...
def pread_rows(fd: int, rows: NDArray[np.int64], out: NDArray[np.uint8]) -> int: ...
def question_keys(data: bytes | NDArray[np.uint8], offsets: NDArray[np.uint64]) -> NDArray[np.uint64]: ...
def answer_keys(
    data: bytes | NDArray[np.uint8], offsets: NDArray[np.uint64], short_len: int
) -> tuple[NDArray[np.uint8], NDArray[np.uint64]]: ...
