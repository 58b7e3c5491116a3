"""Input bytes: a file (plain, ``.zst``, ``.gz``) or part of one -> decompressed chunks -> lines.

Chunks are about 1 MiB. A compressed file is read unit by unit (``frames``: zstd frames, BGZF
members, or a stream where the headers say nothing more). Where a unit is damaged, the chunks
carry a ``Gap`` after every byte that decodes before the damage; ``line_runs`` attaches the
partial last line to it, so a reader keeps every complete line and quarantines the partial one
as one entry. When the decompressed sizes of the units are known (``frames``), reading goes on
at the next unit, whose stream offset is known; otherwise nothing after a gap can be placed, and
the gap ends the stream.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import zlib
from collections.abc import Generator, Iterable, Iterator
from typing import Any, BinaryIO

import numpy as np
import orjson
import zstandard

from boostpack._jsonl import count_lines, newlines, split_lines
from boostpack.ingestion.frames import Damaged, Unit, decode_unit, salvage, units

__all__ = ["BOM", "Chunk", "Gap", "count_newlines", "file_chunks", "iter_json_lines",
           "line_blocks", "line_runs", "prefetched", "range_chunks", "unit_chunks"]

_CHUNK = 1 << 20
# Compressed bytes fed per decompressor call in a stream: bounds one call's output, and what a
# corrupt zstd block of an unwalkable stream takes with it (the failing call's output is lost).
_INPUT_CHUNK = 1 << 15
_READ_AHEAD = 8  # decompressed chunks a read-ahead thread may hold
BOM = b"\xef\xbb\xbf"


class Gap:
    """Where a compressed stream broke: ``reason`` (``truncated_stream`` or ``corrupt_stream``),
    ``detail``, and ``skip``: stream bytes lost before the next chunk (None: no chunk follows).
    ``line_runs`` sets ``partial``: the broken line's bytes, as far as they could be read."""

    __slots__ = ("detail", "partial", "reason", "skip")

    def __init__(self, reason: str, detail: str, skip: int | None = None) -> None:
        self.reason, self.detail, self.skip = reason, detail, skip
        self.partial = b""


Chunk = bytes | Gap


def _plain_chunks(path: str) -> Generator[bytes, None, None]:
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


def _stream(f: BinaryIO, gzip: bool) -> Generator[Chunk, None, None]:
    """The gzip members or zstd frames from ``f``'s position to its end, as one stream."""
    # zlib directly, not gzip.open: GzipFile.read() drops everything it decoded in a call that
    # then fails, so the readable part of a corrupt member would be lost. decompressobj, not
    # stream_reader: stream_reader ends silently on a truncated frame, while here a frame that
    # was fed bytes but never reached its end is detectable.
    if gzip:
        new, error = lambda: zlib.decompressobj(wbits=31), zlib.error  # 31: gzip header, trailer
    else:
        new, error = zstandard.ZstdDecompressor().decompressobj, zstandard.ZstdError
    dobj = new()
    fed = False
    while data := f.read(_INPUT_CHUNK):
        while data:
            if gzip and not fed:
                data = data.lstrip(b"\x00")  # zero padding between members, as gzip allows
                if not data:
                    break
            saved = dobj.copy() if gzip else None  # zstd's decoder cannot be copied
            try:
                out = dobj.decompress(data)
            except error as exc:
                if saved is not None:  # the failed call's output is gone: replay it
                    yield from salvage(saved, data)
                yield Gap("corrupt_stream", str(exc))
                return
            fed = True
            if out:
                yield out
            if dobj.eof:  # the next member or frame starts in unused_data
                data, dobj, fed = dobj.unused_data, new(), False
            else:
                data = b""
    if fed:
        yield Gap("truncated_stream", f"{'gzip member' if gzip else 'zstd frame'} ends before its end")


def unit_chunks(path: str, run: Iterable[Unit]) -> Generator[Chunk, None, None]:
    """The decompressed bytes of consecutive ``run`` units of a compressed file. A damaged
    unit gives a Gap after what precedes the damage; reading goes on at the next unit when
    the damaged one's size is known (``skip``: the rest of it), else ends there."""
    fd = os.open(path, os.O_RDONLY)
    try:
        for unit in run:
            if unit.kind == "stream":
                with open(fd, "rb", closefd=False) as f:
                    f.seek(unit.offset)
                    yield from _stream(f, gzip=not path.lower().endswith(".zst"))
                return
            done = 0
            try:
                for chunk in decode_unit(fd, unit):
                    done += len(chunk)
                    yield chunk
            except Damaged as exc:
                if unit.size < 0:  # where the next unit starts in the stream is unknown
                    yield Gap(exc.reason, exc.detail)
                    return
                yield Gap(exc.reason, exc.detail, unit.size - done)
    finally:
        os.close(fd)


def file_chunks(path: str) -> Generator[Chunk, None, None]:
    """The decompressed bytes of a whole file, by its name: ``.zst``, ``.gz``, else plain."""
    name = path.lower()
    if name.endswith((".zst", ".gz")):
        return unit_chunks(path, units(path))
    return _plain_chunks(path)


def range_chunks(path: str, start: int, end: int) -> Generator[bytes, None, None]:
    """Bytes ``[start, end)`` of a plain file."""
    with open(path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0 and (chunk := f.read(min(_CHUNK, left))):
            left -= len(chunk)
            yield chunk


def count_newlines(path: str, end: int) -> int:
    """Lines ending in the first ``end`` bytes of a plain file (reads them all: ~0.5 GB/s)."""
    count = pos = 0
    with open(path, "rb") as f:
        while pos < end:
            data = f.read(min(_CHUNK << 3, end - pos))
            if not data:
                break
            count += data.count(b"\n")
            pos += len(data)
    return count


def prefetched(chunks: Generator[Chunk, None, None]) -> Iterator[Chunk]:
    """``chunks`` produced on a background thread, in order, errors included (raised after the
    chunks before them). zstd, zlib and file reads release the GIL, so
    decompression overlaps the caller's parsing: qa_en's decompression is ~0.08 s of the
    ~0.45 s its reading takes on one thread."""
    slots: queue.Queue[tuple[Chunk | None, BaseException | None]] = queue.Queue(_READ_AHEAD)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                slots.put((chunk, None))
                if stop.is_set():
                    return
            slots.put((None, None))
        except BaseException as exc:  # handed to the consumer, raised there
            slots.put((None, exc))
        finally:
            chunks.close()

    thread = threading.Thread(target=produce, name="boostpack-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            chunk, error = slots.get()
            if error is not None:
                raise error
            if chunk is None:
                return
            yield chunk
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.01)
        thread.join()


def line_runs(chunks: Iterable[Chunk]) -> Iterator[list[bytes] | Gap]:
    """The lines of ``chunks`` without their ``"\\n"``, a list per decompressed chunk: every
    physical line once, in order; a final unterminated line counts. Lines come in lists: one
    generator step per chunk, not per line (splitting qa_en: 0.42 -> 0.35 µs per line).

    A ``Gap`` in ``chunks`` comes out in order, after the complete lines before it, with the
    broken line's bytes as its ``.partial``; the line after it starts with the next chunk.
    """
    pending: list[bytes] = []
    for chunk in chunks:
        if type(chunk) is not bytes:
            chunk.partial = b"".join(pending)
            pending = []
            yield chunk
            continue
        parts = split_lines(chunk)
        if len(parts) == 1:
            pending.append(chunk)
            continue
        if pending:
            pending.append(parts[0])
            parts[0] = b"".join(pending)
            pending = []
        tail = parts.pop()
        yield parts
        if tail:
            pending.append(tail)
    if pending:
        yield [b"".join(pending)]


class _Block:
    """A reused buffer of whole lines for ``line_blocks``: chunks are copied in, lines are
    found with memchr, the bytes after the last newline are moved to the front for the next
    block. Reused, so a block costs one copy and no fresh pages (an 8 MB ``bytes`` per block
    was 80k page faults per 300 MB)."""

    def __init__(self, size: int) -> None:
        self.buf = np.empty(size + _CHUNK, dtype=np.uint8)
        self.held = 0
        self.ends = np.empty(0, dtype=np.int64)

    def add(self, chunk: bytes) -> None:
        need = self.held + len(chunk)
        if need > len(self.buf):  # a long line: grow by half at least, keeping what is held
            grown = np.empty(max(need, len(self.buf) * 3 // 2), dtype=np.uint8)
            grown[:self.held] = self.buf[:self.held]
            self.buf = grown
        self.buf[self.held:need] = np.frombuffer(chunk, dtype=np.uint8)
        self.held = need

    def lines(self, final: bool) -> tuple[np.ndarray, np.ndarray]:
        """(the held bytes, where their lines end): their newlines, and their end when
        ``final`` and bytes follow the last newline (a final unterminated line)."""
        data = self.buf[:self.held]
        count = count_lines(data) + 1
        if len(self.ends) < count:
            self.ends = np.empty(max(count, 2 * len(self.ends)), dtype=np.int64)
        n = newlines(data, self.ends)
        if final and self.held and (n == 0 or self.ends[n - 1] + 1 < self.held):
            self.ends[n] = self.held
            n += 1
        return data, self.ends[:n]

    def rest(self, ends: np.ndarray) -> bytes:
        """The bytes after the last of ``ends`` (all when none), moved to the front."""
        at = int(ends[-1]) + 1 if len(ends) else 0
        tail = self.buf[at:self.held].tobytes()
        self.buf[:len(tail)] = np.frombuffer(tail, dtype=np.uint8)
        self.held = len(tail)
        return tail


def line_blocks(chunks: Iterable[Chunk], size: int) -> Iterator[tuple[np.ndarray, np.ndarray] | Gap]:
    """The lines of ``chunks`` as ``line_runs`` cuts them, with no object per line: blocks of
    about ``size`` bytes of whole lines, each ``(data, ends)``: its ``len(ends)`` lines, line
    ``i`` from just after ``ends[i - 1]`` (0 for the first) to ``ends[i]``, its newline
    excluded (``data`` may hold more: the start of the next block's first line). ``data``
    is a view of a reused buffer, valid until the next block is asked for. A ``Gap`` comes
    out where ``line_runs`` gives it, and stands for one line, as there.
    """
    block = _Block(size)
    for chunk in chunks:
        if type(chunk) is not bytes:
            data, ends = block.lines(False)
            if len(ends):
                yield data, ends
            chunk.partial = block.rest(ends)
            block.held = 0
            yield chunk
            continue
        block.add(chunk)
        # Lines are found once enough is held and the chunk ends a line: a long line once.
        if block.held >= size and chunk.find(b"\n") >= 0:
            data, ends = block.lines(False)
            yield data, ends
            block.rest(ends)
    data, ends = block.lines(True)
    if len(ends):
        yield data, ends


def iter_json_lines(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file, unconverted (side files such as batch requests);
    unparsable lines are skipped."""
    for run in line_runs(file_chunks(os.fspath(path))):
        if type(run) is not list:
            continue
        for line in run:
            try:
                obj = orjson.loads(line.lstrip(BOM))
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                yield obj
