import os

import pytest

from boostpack.runtime.atomic import TMP_PREFIX, atomic_write, sweep_temp_files


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "sub" / "out.bin"
    with atomic_write(target) as f:
        f.write(b"first")
    assert target.read_bytes() == b"first"

    with pytest.raises(RuntimeError), atomic_write(target) as f:
        f.write(b"half of a second version")
        raise RuntimeError("crash mid-write")
    # The old file is intact and no temp file is left behind.
    assert target.read_bytes() == b"first"
    assert sorted(os.listdir(target.parent)) == ["out.bin"]


def test_atomic_write_text_mode(tmp_path):
    with atomic_write(tmp_path / "a.txt", "w") as f:
        f.write("héllo")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"


def test_sweep_removes_only_temp_files(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / f"{TMP_PREFIX}x.123").write_bytes(b"partial")
    (tmp_path / f"{TMP_PREFIX}y").write_bytes(b"partial")
    (tmp_path / "keep.jsonl").write_bytes(b"{}")
    assert sweep_temp_files(tmp_path) == 2
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["keep.jsonl"]


def test_atomic_write_gives_the_mode_open_would(tmp_path):
    with atomic_write(tmp_path / "a") as f:
        f.write(b"x")
    (tmp_path / "b").write_bytes(b"x")
    assert (tmp_path / "a").stat().st_mode == (tmp_path / "b").stat().st_mode
