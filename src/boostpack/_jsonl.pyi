"""Compiled glue over csrc/jsonl.c (see boostpack.packing.fastlane for the API)."""

import numpy as np
from numpy.typing import NDArray

def scan(
    data: NDArray[np.uint8] | bytes,
    names: NDArray[np.uint8] | bytes,
    name_off: NDArray[np.int64],
    max_line: int,
    line_end: NDArray[np.int64],
    line_kind: NDArray[np.uint8],
    val_type: NDArray[np.uint8],
    val_flags: NDArray[np.uint8],
    val_start: NDArray[np.int64],
    val_len: NDArray[np.int64],
    out: NDArray[np.uint8],
) -> tuple[int, int]: ...
def gather(
    src: NDArray[np.uint8],
    start: NDArray[np.int64],
    length: NDArray[np.int64],
    dst: NDArray[np.uint8],
) -> int: ...
def count_lines(data: NDArray[np.uint8] | bytes) -> int: ...
def newlines(data: NDArray[np.uint8] | bytes, out: NDArray[np.int64]) -> int: ...
def join_lines(
    src: NDArray[np.uint8] | bytes,
    start: NDArray[np.int64],
    length: NDArray[np.int64],
    dst: NDArray[np.uint8] | bytearray,
) -> int: ...
def gather_two(
    first: NDArray[np.uint8] | bytes,
    second: NDArray[np.uint8] | bytes,
    which: NDArray[np.uint8],
    start: NDArray[np.int64],
    length: NDArray[np.int64],
    dst: NDArray[np.uint8],
) -> int: ...
def split_lines(data: bytes) -> list[bytes]: ...
