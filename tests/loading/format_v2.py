"""Format version 1 and version 2 datasets for the reader's tests, rewritten from the documented
layout (docs/format.md: the version 1 index plus ``piece_loss uint32[P]`` after ``piece_doc``,
magic ``BPINDEX2``; manifest ``format_version: 2`` and ``loss_on``), independently of the
writer, whatever version it writes."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.format.manifest import file_xxh3

_HEADER = struct.Struct("<8sQQQ")


def _v1_index(data: bytes) -> tuple[int, int, int, bytes]:
    """(sequences, pieces, reserved, the body of the version 1 index) of an index file of
    either version."""
    magic, s, p, reserved = _HEADER.unpack_from(data)
    assert magic in (b"BPINDEX1", b"BPINDEX2")
    return s, p, reserved, data[_HEADER.size:_HEADER.size + 8 * (s + 1) + 16 * p]


def _rewrite(path: Path, index_of: Callable[[str, int, int, int, bytes], bytes],
             **manifest_update: Any) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    for shard in manifest["shards"]:
        entry = shard["files"]["index"]
        index = path / entry["path"]
        index.write_bytes(index_of(shard["name"], *_v1_index(index.read_bytes())))
        entry.update(bytes=index.stat().st_size, xxh3=file_xxh3(index))
    manifest.update(manifest_update)
    if manifest["format_version"] == 1:
        manifest.pop("loss_on", None)
    (path / "manifest.json").write_text(json.dumps(manifest))


def as_version_1(path: Path) -> Path:
    """Rewrite the dataset at ``path`` as format version 1 (no ``piece_loss``); returns it."""
    _rewrite(path, lambda name, s, p, reserved, body:
             _HEADER.pack(b"BPINDEX1", s, p, reserved) + body, format_version=1)
    return path


def convert_to_v2(path: Path, seed: int) -> dict[str, np.ndarray]:
    """Rewrite the dataset at ``path`` as version 2 with random loss-free prefixes
    (0 .. the piece length); returns each shard's ``piece_loss`` by shard name."""
    rng = np.random.default_rng(seed)
    losses: dict[str, np.ndarray] = {}

    def index_of(name: str, s: int, p: int, reserved: int, body: bytes) -> bytes:
        lengths = np.frombuffer(body, "<u4", p, 8 * (s + 1) + 4 * p)
        loss = (rng.random(p) * (lengths.astype(np.float64) + 1)).astype("<u4")
        loss[rng.random(p) < 0.3] = 0  # some pieces carry loss on every token
        losses[name] = loss
        return _HEADER.pack(b"BPINDEX2", s, p, reserved) + body + loss.tobytes()

    _rewrite(path, index_of, format_version=2, loss_on="answer")
    return losses
