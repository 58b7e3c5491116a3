"""Band-key files: what a band task reads back is the column it asked for, whatever the
batches phase 1 wrote and wherever the blocks end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boostpack import CorruptData
from boostpack.deduplication import bandfile


def _write(path: Path, batches: list[np.ndarray], bands: int) -> None:
    with open(path, "wb") as f:
        writer = bandfile.BandWriter(f, bands)
        for keys in batches:
            writer.add(keys)
        writer.close()


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(0, 40), max_size=8), bands=st.integers(1, 5),
       block=st.integers(1, 16), seed=st.integers(0, 2**32 - 1))
def test_read_band_gives_the_column(tmp_path_factory: pytest.TempPathFactory, sizes: list[int],
                                    bands: int, block: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    batches = [rng.integers(0, 2**64, size=(m, bands), dtype=np.uint64) for m in sizes]
    every = np.concatenate(batches) if batches else np.zeros((0, bands), dtype=np.uint64)
    path = tmp_path_factory.mktemp("bands") / "bands.bin"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bandfile, "BLOCK", block)
        _write(path, batches, bands)
        assert path.stat().st_size == bandfile.file_bytes(len(every), bands)
        for b in range(bands):
            pieces = list(bandfile.read_band(path, len(every), bands, b))
            assert [first for first, _ in pieces] == list(range(0, len(every), block))
            got = np.concatenate([k for _, k in pieces]) if pieces else np.zeros(0, np.uint64)
            np.testing.assert_array_equal(got, every[:, b])


def test_a_short_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "bands.bin"
    _write(path, [np.arange(30, dtype=np.uint64).reshape(10, 3)], 3)
    with open(path, "r+b") as f:
        f.truncate(8 * 25)
    with pytest.raises(CorruptData, match="ends inside band 2"):
        list(bandfile.read_band(path, 10, 3, 2))
