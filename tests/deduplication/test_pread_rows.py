"""``_minhash.pread_rows`` against numpy indexing of the whole file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boostpack import InvalidInput
from boostpack._minhash import pread_rows


@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 40), width=st.integers(1, 70), data=st.data())
def test_rows_equal_indexing(tmp_path_factory: pytest.TempPathFactory, n: int, width: int,
                             data: st.DataObject) -> None:
    table = np.random.default_rng(n * 100 + width).integers(0, 256, (n, width), dtype=np.uint8)
    path = tmp_path_factory.mktemp("rows") / "t.bin"
    path.write_bytes(table.tobytes())
    rows = data.draw(st.lists(st.integers(0, n + 3), max_size=30))
    out = np.zeros((len(rows), width), dtype=np.uint8)
    fd = os.open(path, os.O_RDONLY)
    try:
        got = pread_rows(fd, np.array(rows, dtype=np.int64), out)
    finally:
        os.close(fd)
    whole = next((i for i, r in enumerate(rows) if r >= n), len(rows))
    assert got == whole  # stops at the first row past the end
    np.testing.assert_array_equal(out[:got], table[rows[:got]])


def test_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    path.write_bytes(bytes(64))
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(InvalidInput, match="rows for"):
            pread_rows(fd, np.zeros(2, dtype=np.int64), np.zeros((3, 8), dtype=np.uint8))
        with pytest.raises(InvalidInput, match="out of range"):
            pread_rows(fd, np.array([-1], dtype=np.int64), np.zeros((1, 8), dtype=np.uint8))
    finally:
        os.close(fd)
    with pytest.raises(OSError):
        pread_rows(fd, np.zeros(1, dtype=np.int64), np.zeros((1, 8), dtype=np.uint8))  # closed
