"""Inputs for the reader tests: messy JSONL lines, and writers of input layouts as the usual
tools write them: multi-frame and seekable zstd, BGZF (``bgzip``), Hugging Face
``save_to_disk`` directories (without ``datasets``)."""

from __future__ import annotations

import itertools
import json
import random
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import zstandard


def messy_lines(rng: random.Random, n: int) -> list[bytes]:
    """QA lines with bad, blank, non-object, CRLF, empty-answer and very long lines."""
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.05:
            out.append(b"{broken")
        elif r < 0.08:
            out.append(b"" if rng.random() < 0.5 else b"  ")
        elif r < 0.1:
            out.append(b"[1, 2]")
        elif r < 0.12:
            out.append(orjson.dumps({"id": str(i), "question": "q", "answer": ""}))
        else:
            text = "x" * rng.choice([0, 10, 300, 5000])
            line = orjson.dumps({"id": str(i), "question": f"q{i} {text}", "answer": "a"})
            out.append(line + (b"\r" if rng.random() < 0.1 else b""))
    return out


_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def zstd_frames(data: bytes, cuts: Sequence[int], *, sizes: bool = True) -> list[bytes]:
    """``data`` as one zstd frame per piece between ``cuts``: with content sizes in the frame
    headers (``zstd FILE``, one-shot ``compress``), or without (streamed, as ``pzstd`` does)."""
    pieces = [data[a:b] for a, b in itertools.pairwise([0, *sorted(set(cuts)), len(data)])]
    cctx = zstandard.ZstdCompressor(write_checksum=True)
    if sizes:
        return [cctx.compress(p) for p in pieces]
    out = []
    for piece in pieces:
        cobj = cctx.compressobj()
        out.append(cobj.compress(piece) + cobj.flush())
    return out


def seek_table(frames: list[bytes], data: bytes, cuts: Sequence[int]) -> bytes:
    """The zstd seek table of ``zstd_frames(data, cuts)`` (contrib/seekable_format: a skippable
    frame of (compressed, decompressed) sizes, then the count, descriptor and magic)."""
    bounds = list(itertools.pairwise([0, *sorted(set(cuts)), len(data)]))
    entries = b"".join(struct.pack("<II", len(f), b - a) for f, (a, b) in zip(frames, bounds, strict=True))
    table = entries + struct.pack("<IBI", len(frames), 0, 0x8F92EAB1)
    return struct.pack("<II", 0x184D2A5E, len(table)) + table


def bgzf(data: bytes, block: int = 65280) -> bytes:
    """``data`` as BGZF, as ``bgzip`` writes it: members of at most ``block`` input bytes with a
    ``BC`` extra field (member size - 1), then the empty end-of-file member."""
    out = []
    for at in range(0, len(data), block):
        piece = data[at:at + block]
        cobj = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = cobj.compress(piece) + cobj.flush()
        size = 18 + len(body) + 8
        header = struct.pack("<4sIBBHBBHH", b"\x1f\x8b\x08\x04", 0, 0, 255, 6, 66, 67, 2, size - 1)
        out.append(header + body + struct.pack("<II", zlib.crc32(piece), len(piece)))
    return b"".join(out) + _BGZF_EOF


def save_to_disk(rows: list[dict[str, Any]], directory: Path, shards: int = 1, batch_rows: int = 1000) -> None:
    """``rows`` as ``datasets.Dataset.from_list(rows).save_to_disk(directory, num_shards=shards)``
    lays them out (checked against datasets 5.2): ``data-NNNNN-of-NNNNN.arrow`` files in the Arrow
    IPC stream format, record batches of at most ``batch_rows`` rows (datasets writes 1,000),
    ``state.json`` listing the files in order, and ``dataset_info.json``."""
    import pyarrow as pa

    directory.mkdir(parents=True)
    table = pa.Table.from_pylist(rows)
    per = -(-len(rows) // shards)
    names = [f"data-{i:05d}-of-{shards:05d}.arrow" for i in range(shards)]
    for i, name in enumerate(names):
        part = table.slice(i * per, per)
        with pa.OSFile(str(directory / name), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(part, max_chunksize=batch_rows)
    state = {"_data_files": [{"filename": name} for name in names], "_fingerprint": "0" * 16,
             "_format_columns": None, "_format_kwargs": {}, "_format_type": None,
             "_output_all_columns": False, "_split": None}
    (directory / "state.json").write_text(json.dumps(state, indent=2))
    (directory / "dataset_info.json").write_text(json.dumps({"features": {}}))


def save_dict_to_disk(splits: dict[str, list[dict[str, Any]]], directory: Path) -> None:
    """A ``DatasetDict`` as ``save_to_disk`` lays it out: ``dataset_dict.json`` naming the
    splits in order, a saved dataset per split in the subdirectory of its name."""
    directory.mkdir(parents=True)
    (directory / "dataset_dict.json").write_text(json.dumps({"splits": list(splits)}))
    for name, rows in splits.items():
        save_to_disk(rows, directory / name)
