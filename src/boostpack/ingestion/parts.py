"""Sharded JSON-lines output: ``part-NNNNN<suffix>`` files, each written atomically.

Shared by every stage that writes line files (ingest's records, every stage's quarantine).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import zstandard

from boostpack.errors import InvalidInput
from boostpack.runtime.atomic import atomic_write

# A compressed part is a zstd frame per ~1 MiB of lines, followed by a seek table (the zstd
# seekable format: each frame's compressed and decompressed size, in a skippable frame that zstd
# tools ignore), so a later stage can read one part with several tasks (``splits``). Measured on
# 256 MB of QA (tools/make_large_input.py): 1 MiB frames make the shard 0.45% larger than one
# frame and keep ingest's peak RSS (75 MB); 4 MiB frames, +0.08% but 112 MB. A streamed frame
# per flush, not one-shot ``compress()`` calls, which cost 0.15 s more system time per 256 MB.
_FRAME_BYTES = 1 << 20
# Ingest output is an intermediate: on qa_en, level 1 compressed 2.1x faster than level 3 for
# shards 12% larger (5.1x vs 5.8x ratio), and compression was the largest single cost of ingest.
_ZSTD_LEVEL = 1
_SKIPPABLE_SEEK_TABLE, _SEEKABLE_MAGIC = 0x184D2A5E, 0x8F92EAB1


def seek_table(frames: list[tuple[int, int]]) -> bytes:
    """The zstd seek table of frames of (compressed, decompressed) sizes (contrib/seekable_format
    in the zstd sources: no per-frame checksums)."""
    entries = b"".join(c.to_bytes(4, "little") + d.to_bytes(4, "little") for c, d in frames)
    footer = len(frames).to_bytes(4, "little") + b"\x00" + _SEEKABLE_MAGIC.to_bytes(4, "little")
    body = entries + footer
    return _SKIPPABLE_SEEK_TABLE.to_bytes(4, "little") + len(body).to_bytes(4, "little") + body


class PartWriter:
    """Writes JSON lines into ``part-NNNNN<suffix>`` files of about ``shard_bytes`` (uncompressed).

    Sharding by uncompressed bytes keeps shard boundaries independent of compression settings.
    Compressed parts are zstd frames of whole lines, ~1 MiB each, with a content checksum, and a
    seek table.
    """

    def __init__(self, directory: Path, suffix: str, shard_bytes: int, compress: bool) -> None:
        self.directory, self.suffix = directory, suffix
        self.shard_bytes, self.compress = shard_bytes, compress
        self.shards: list[dict[str, Any]] = []
        self._ctx: Any = None
        self._file: IO[bytes] | None = None
        self._out: IO[bytes] | None = None
        self._bytes = self._lines = 0
        self._buf: list[bytes] = []
        self._buf_bytes = 0
        self._frames: list[tuple[int, int]] = []  # (compressed, decompressed) bytes
        self._frame_start = 0

    def _open(self) -> None:
        name = f"part-{len(self.shards):05d}{self.suffix}"
        self._ctx = atomic_write(self.directory / name, "wb")
        self._file = self._out = self._ctx.__enter__()
        if self.compress:
            cctx = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, write_checksum=True)
            self._out = cctx.stream_writer(self._file, closefd=False)
        self.shards.append({"path": f"{self.directory.name}/{name}"})
        self._bytes = self._lines = self._frame_start = 0
        self._frames = []

    def write(self, line: bytes) -> None:
        """Append one line (without terminator)."""
        if self._out is None:
            self._open()
        # Buffered: one write (compressed: one frame) per ~1 MiB, not per line (per-line
        # writes cost as much as parsing did, measured on qa_en).
        self._buf.append(line)
        self._buf_bytes += len(line) + 1
        self._bytes += len(line) + 1
        self._lines += 1
        if self._buf_bytes >= _FRAME_BYTES:
            self._flush()
        if self._bytes >= self.shard_bytes:
            self.close()

    @property
    def lines_written(self) -> int:
        """Lines written so far, over every shard."""
        open_lines = self._lines if self._out is not None else 0
        return sum(shard.get("lines", 0) for shard in self.shards) + open_lines

    def _flush(self) -> None:
        if self._buf:
            assert self._out is not None and self._file is not None
            self._buf.append(b"")  # the last line's terminator
            data = b"\n".join(self._buf)
            self._out.write(data)
            if self.compress:
                self._out.flush(zstandard.FLUSH_FRAME)  # type: ignore[call-arg]
                end = self._file.tell()
                self._frames.append((end - self._frame_start, len(data)))
                self._frame_start = end
            self._buf, self._buf_bytes = [], 0

    def close(self) -> None:
        """Finish the open shard (if any): flush the frame, the seek table, fsync, rename."""
        if self._out is None or self._file is None:
            return
        self._flush()
        if self.compress:
            self._file.write(seek_table(self._frames))
        self._ctx.__exit__(None, None, None)
        shard = self.shards[-1]
        shard.update(lines=self._lines, bytes=self._bytes,
                     file_bytes=(self.directory.parent / shard["path"]).stat().st_size)
        self._out = self._file = self._ctx = None

    def abort(self) -> None:
        """Drop the open shard's temp file (after an error)."""
        self._buf, self._buf_bytes = [], 0
        if self._ctx is not None:
            self._ctx.__exit__(InvalidInput, InvalidInput("aborted"), None)
            self._out = self._file = self._ctx = None
