"""Byte sizes as people write them on a command line: ``4G``, ``512M``, ``1.5GiB``, ``65536``."""

from __future__ import annotations

from boostpack.errors import InvalidInput

_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(value: str | int, what: str = "size", minimum: int = 1) -> int:
    """Bytes from ``4G`` / ``512M`` / ``65536`` (binary units, optional ``B``/``iB``).

    ``what`` names the option in the error; values below ``minimum`` bytes are refused.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        text = str(value).strip().upper().removesuffix("IB").removesuffix("B")
        mult = _UNITS.get(text[-1:], 1)
        number = text[:-1] if text[-1:] in _UNITS else text
        try:
            size = int(float(number) * mult)
        except ValueError:
            raise InvalidInput(f"bad {what} {value!r} (e.g. 4G, 512M)") from None
    if size < minimum:
        raise InvalidInput(f"{what} {value!r} is below the minimum of {minimum:,} bytes")
    return size
