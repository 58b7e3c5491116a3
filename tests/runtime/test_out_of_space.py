"""A full disk is reported with the file being written: "[Errno 28] No space left on device"
alone does not say which disk filled up."""

from __future__ import annotations

import base64
import errno
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from boostpack.runtime.atomic import naming_output


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_write_errors_get_the_file_name(code: int) -> None:
    with pytest.raises(OSError) as info, naming_output("out/part-00000.jsonl.zst"):
        raise OSError(code, os.strerror(code))
    assert info.value.errno == code and info.value.filename == "out/part-00000.jsonl.zst"
    assert str(info.value).endswith(": 'out/part-00000.jsonl.zst'")


@pytest.mark.parametrize("error", [OSError(errno.EIO, "Input/output error"),  # maybe a read
                                   OSError(errno.ENOSPC, "No space left", "already/named"),
                                   ValueError("not an OSError")])
def test_other_errors_pass_untouched(error: Exception) -> None:
    with pytest.raises(type(error)) as info, naming_output("out/x"):
        raise error
    assert info.value is error


def test_atomic_write_past_the_file_size_limit_names_the_file(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes write() fail with EFBIG (Python ignores SIGXFSZ), like a full disk
    from the writer's side; the limit is set in a child process only. The error names the file
    written, not another one open under the same ExitStack."""
    code = """
import contextlib, resource, sys
from boostpack.runtime.atomic import atomic_write
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    with contextlib.ExitStack() as stack:
        big, small = (stack.enter_context(atomic_write(p)) for p in sys.argv[1:3])
        small.write(b"ok")
        big.write(b"x" * (1 << 20))
except OSError as err:
    print(err.errno, err.filename)
"""
    big, small = tmp_path / "big.bin", tmp_path / "small.bin"
    done = subprocess.run([sys.executable, "-c", code, str(big), str(small)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(errno.EFBIG), str(big)]
    assert list(tmp_path.iterdir()) == []  # the temp files are gone, nothing half-written


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs, where mounting is permitted (root, outside most containers' limits)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


@pytest.fixture(scope="module")
def incompressible(tmp_path_factory: pytest.TempPathFactory) -> str:
    """2 MB of QA records whose text zstd cannot shrink below the tiny disk's size."""
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("big") / "qa.jsonl"
    path.write_bytes(b"".join(
        orjson.dumps({"id": str(i), "question": base64.b64encode(rng.randbytes(750)).decode(),
                      "answer": base64.b64encode(rng.randbytes(750)).decode()}) + b"\n"
        for i in range(1000)))
    return str(path)


@pytest.mark.parametrize("stage", ["ingest", "dedup", "pack"])
def test_a_full_disk_is_one_line_naming_the_file(stage: str, tiny_disk: Path,
                                                 incompressible: str,
                                                 small_tokenizer: Path) -> None:
    out = tiny_disk / "out"
    args = [stage, incompressible, "-o", str(out)]
    if stage == "pack":
        args += ["--tokenizer", str(small_tokenizer), "--seq-len", "256"]
    done = subprocess.run([sys.executable, "-m", "boostpack", *args], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"boostpack {stage}: error: [Errno {errno.ENOSPC}] No space "
                                  f"left on device: '{out}/"), done.stderr
