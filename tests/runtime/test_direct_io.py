"""AppendFile: the file holds exactly the bytes written, in order, whatever the write sizes,
with O_DIRECT, without it, and where the system refuses it at open or at the first write."""

from __future__ import annotations

import errno
import importlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boostpack.runtime.direct_io import AppendFile

direct_io = importlib.import_module("boostpack.runtime.direct_io")


def _write(path: Path, sizes: list[int], direct: bool) -> tuple[bytes, bool]:
    """Write pieces of ``sizes`` bytes; return what was written and whether O_DIRECT stayed."""
    f = AppendFile(path, direct=direct)
    expected = bytearray()
    for i, n in enumerate(sizes):
        piece = bytes((i * 7 + k) % 251 for k in range(n))
        f.write(piece)
        expected += piece
    still_direct = f.direct
    f.close(sync=True)
    return bytes(expected), still_direct


def _falls_back(path: Path, sizes: list[int]) -> None:
    expected, still_direct = _write(path, sizes, direct=True)
    assert path.read_bytes() == expected
    assert not still_direct


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(0, 20_000), max_size=12), direct=st.booleans())
def test_the_file_holds_every_byte_written(tmp_path: Path, sizes: list[int],
                                           direct: bool) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(direct_io, "_BUFFER", 8192)  # several buffers' worth per example
        path = tmp_path / "out"
        expected, _ = _write(path, sizes, direct)
    assert path.read_bytes() == expected


def test_a_refused_open_falls_back_to_ordinary_writes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if not direct_io._O_DIRECT:
        pytest.skip("no O_DIRECT on this system")
    real_open = os.open

    def no_direct(path: str, flags: int, mode: int = 0o777) -> int:
        if flags & direct_io._O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", no_direct)
    _falls_back(tmp_path / "out", [5000, 70_000, 3])


def test_a_refused_write_falls_back_to_ordinary_writes(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system may take the O_DIRECT open and refuse the writes (EINVAL)."""
    if not direct_io._O_DIRECT:
        pytest.skip("no O_DIRECT on this system")
    monkeypatch.setattr(direct_io, "_BUFFER", 8192)
    real_write = os.write

    def refuse_direct(fd: int, data: bytes) -> int:
        if direct_io.fcntl.fcntl(fd, direct_io.fcntl.F_GETFL) & direct_io._O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", refuse_direct)
    _falls_back(tmp_path / "out", [9000, 20_000, 1])


def test_discard_after_a_failed_write_closes_the_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A write error (a full disk) propagates; the file can still be discarded."""
    monkeypatch.setattr(direct_io, "_BUFFER", 8192)
    f = AppendFile(tmp_path / "out", direct=True)

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError) as err:
        f.write(b"x" * 10_000)
        f.close(sync=True)
    assert err.value.errno == errno.ENOSPC
    f.discard()
    assert f.fd == -1
