import pytest

from boostpack.errors import InvalidInput
from boostpack.runtime.sizes import parse_size


@pytest.mark.parametrize(("text", "size"), [
    ("65536", 65536), ("4G", 4 << 30), ("512M", 512 << 20), ("512MiB", 512 << 20),
    ("1.5g", 3 << 29), (" 2k ", 2048), ("1TB", 1 << 40), (1 << 27, 1 << 27)])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["lots", "", "G", "-1M", "0", True, 0])
def test_bad_sizes_name_the_option(bad):
    with pytest.raises(InvalidInput, match="shard size"):
        parse_size(bad, "shard size")


def test_minimum():
    with pytest.raises(InvalidInput, match="minimum of 67,108,864 bytes"):
        parse_size("1M", "memory budget", minimum=64 << 20)
