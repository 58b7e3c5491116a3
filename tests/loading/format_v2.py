"""Format version 2 datasets for the reader's tests, written from the documented layout
(docs/format.md: the version 1 index plus ``piece_loss uint32[P]`` after ``piece_doc``, magic
``BPINDEX2``; manifest ``format_version: 2`` and ``loss_on``), independently of the writer."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from boostpack.format.manifest import file_xxh3

_HEADER = struct.Struct("<8sQQQ")


def convert_to_v2(path: Path, seed: int) -> dict[str, np.ndarray]:
    """Rewrite the version 1 dataset at ``path`` as version 2 with random loss-free prefixes
    (0 .. the piece length); returns each shard's ``piece_loss`` by shard name."""
    rng = np.random.default_rng(seed)
    manifest = json.loads((path / "manifest.json").read_text())
    losses = {}
    for shard in manifest["shards"]:
        entry = shard["files"]["index"]
        index = path / entry["path"]
        data = index.read_bytes()
        magic, s, p, reserved = _HEADER.unpack_from(data)
        assert magic == b"BPINDEX1"
        lengths = np.frombuffer(data, "<u4", p, _HEADER.size + 8 * (s + 1) + 4 * p)
        loss = (rng.random(p) * (lengths.astype(np.float64) + 1)).astype("<u4")
        loss[rng.random(p) < 0.3] = 0  # some pieces carry loss on every token
        index.write_bytes(_HEADER.pack(b"BPINDEX2", s, p, reserved) + data[_HEADER.size:]
                          + loss.tobytes())
        entry.update(bytes=index.stat().st_size, xxh3=file_xxh3(index))
        losses[shard["name"]] = loss
    manifest.update(format_version=2, loss_on="answer")
    (path / "manifest.json").write_text(json.dumps(manifest))
    return losses
