"""Compiled glue over csrc/packing.h (see boostpack.packing.packer for the API)."""

import numpy as np
from numpy.typing import NDArray

STRATEGIES: dict[str, int]

def pack_bound(item_len: NDArray[np.uint64], seq_len: int) -> int: ...
def pack_plan(
    strategy: str,
    seq_len: int,
    item_len: NDArray[np.uint64],
    flush: bool,
    seq_ptr: NDArray[np.uint64],
    piece_item: NDArray[np.uint32],
    piece_offset: NDArray[np.uint64],
    piece_start: NDArray[np.uint32],
    piece_len: NDArray[np.uint32],
) -> tuple[int, int, int, int]: ...
def pack_fill(
    ids: NDArray[np.uint32],
    piece_src: NDArray[np.uint64],
    piece_len: NDArray[np.uint32],
    seq_ptr: NDArray[np.uint64],
    seq_len: int,
    pad_id: int,
    out: NDArray[np.uint16] | NDArray[np.uint32],
) -> None: ...
def frame_documents(
    ids: NDArray[np.uint32],
    offsets: NDArray[np.int64],
    bos: int,
    eos: int,
    out: NDArray[np.uint32],
    out_offsets: NDArray[np.int64],
) -> None: ...
