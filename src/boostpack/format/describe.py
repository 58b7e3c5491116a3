"""``describe``: what a packed dataset holds, for ``boostpack inspect`` (manifest summary,
packing efficiency, and example sequences split at document boundaries)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.format.reader import ShardReader


def _decoder(manifest: dict[str, Any]) -> Any | None:
    """A ``tokenizers.Tokenizer`` for decoding examples when the recorded file still exists and
    has the recorded sha256; otherwise None (describe then shows ids only)."""
    info = manifest.get("tokenizer", {})
    path = info.get("path")
    if not path or not Path(path).is_file():
        return None
    if hashlib.sha256(Path(path).read_bytes()).hexdigest() != info.get("sha256"):
        return None
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def _example(reader: ShardReader, i: int, decoder: Any | None) -> dict[str, Any]:
    """Sequence ``i`` as its document pieces (decoded text, else the first 64 ids of each)."""
    row = reader.tokens(i)
    k, j = reader.locate(i)
    shard = reader.shard(k)
    lo, hi = int(shard.seq_ptr[j]), int(shard.seq_ptr[j + 1])
    starts, lengths = shard.piece_start[lo:hi], shard.piece_length[lo:hi]
    docs, losses = shard.piece_doc[lo:hi], shard.piece_loss[lo:hi]
    pieces = []
    for s, n, d, no_loss in zip(starts.tolist(), lengths.tolist(), docs.tolist(),
                                losses.tolist(), strict=True):
        ids = row[s:s + n].tolist()
        piece: dict[str, Any] = {"document": d, "record_id": reader.record_id(d),
                                 "start": s, "length": n, "no_loss": no_loss}
        if decoder is not None:
            piece["text"] = decoder.decode(ids, skip_special_tokens=False)
        else:
            piece["ids"] = ids[:64]
        pieces.append(piece)
    used = int(starts[-1] + lengths[-1]) if len(starts) else 0
    return {"sequence": i, "padding": reader.seq_len - used, "pieces": pieces}


def describe(path: str | os.PathLike[str], examples: int = 3) -> dict[str, Any]:
    """Manifest summary, packing stats and up to ``examples`` sequences split at document
    boundaries (decoded text when the tokenizer file is available, else token ids)."""
    reader = ShardReader(path)
    m = reader.manifest
    totals = m["totals"]
    slots = totals["sequences"] * reader.seq_len
    decoder = _decoder(m) if examples > 0 else None
    return {
        "path": str(reader.path),
        "format": f"{m['format']} v{m['format_version']}",
        "seq_len": reader.seq_len,
        "dtype": m["dtype"],
        "strategy": m.get("strategy"),
        "template": m.get("template"),
        "loss_on": m.get("loss_on", "all"),
        "tokenizer": m.get("tokenizer", {}),
        "totals": totals,
        "shards": reader.num_shards,
        "bytes": sum(f["bytes"] for s in m["shards"] for f in s["files"].values()),
        "packing_efficiency": totals["tokens"] / slots if slots else 0.0,
        "documents_per_sequence": totals["pieces"] / totals["sequences"] if slots else 0.0,
        "examples": [_example(reader, i, decoder)
                     for i in _spread(reader.num_sequences, examples)],
    }


def _spread(n: int, k: int) -> Iterable[int]:
    """Up to ``k`` distinct indices spread evenly over ``range(n)``."""
    if n <= 0 or k <= 0:
        return []
    return sorted({int(x) for x in np.linspace(0, n - 1, num=min(k, n))})
