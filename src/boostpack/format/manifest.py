"""The packed dataset's names, limits and manifest (``docs/format.md``): which files a dataset
directory holds, the largest ``seq_len``, the token dtypes, the index header, and
``manifest.json`` built, written (last) and read back.

A dataset is a directory whose ``manifest.json`` lists every shard: a token file
``uint16|uint32[S, seq_len]`` and a document index (CSR over document pieces), plus a global
table mapping document numbers to source record ids. ``writer`` writes it, ``reader`` maps it,
``verify`` checks it. This module imports no numpy: the command line reads its limits while it
builds its parser.
"""

from __future__ import annotations

import json
import operator
import os
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xxhash

from boostpack._version import __version__
from boostpack.errors import CorruptData, InvalidInput
from boostpack.runtime.atomic import atomic_write

FORMAT_NAME = "boostpack.packed"
# Version 2 added ``piece_loss`` to the index and ``loss_on`` to the manifest; version 1 datasets
# still read (their pieces carry loss on every token).
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
DOC_OFFSETS = "documents.offsets"
DOC_IDS = "documents.ids"
_SHARD_FILE = re.compile(r"^shard-\d{5,}\.(tokens|index)$")
# A loaded sequence comes with int32 labels, position_ids and cu_seqlens (the type varlen
# attention kernels take), so it holds at most 2^31 - 1 tokens; the index's uint32 piece
# fields alone would allow 2^32 - 1.
MAX_SEQ_LEN = 2**31 - 1
# Token dtype of the manifest's ``dtype`` name (numpy spelling, little-endian); uint16 when the
# tokenizer's every id fits.
TOKEN_DTYPES = {"uint16": "<u2", "uint32": "<u4"}
INDEX_MAGICS = {1: b"BPINDEX1", 2: b"BPINDEX2"}  # by format_version
INDEX_MAGIC = INDEX_MAGICS[FORMAT_VERSION]
INDEX_HEADER = struct.Struct("<8sQQQ")  # magic, num_sequences, num_pieces, reserved
# Bytes per piece in the index: piece_start, piece_length (uint32), piece_doc (uint64), and
# from version 2 piece_loss (uint32).
_PIECE_BYTES = {1: 16, 2: 20}
# What ``loss_on`` may say: every token carries loss, or only the answer's (the prompt's tokens,
# counted per piece in ``piece_loss``, do not).
LOSS_ON = ("all", "answer")
_HASH_CHUNK = 1 << 20  # bytes read at a time: verify streams over multi-GB shards


def check_seq_len(seq_len: Any) -> int:
    """``seq_len`` as an int, or InvalidInput when it is not in ``[1, MAX_SEQ_LEN]``: the one
    check every writer of sequences (config, packer, shard writer) applies."""
    try:
        value = operator.index(seq_len)
    except TypeError:
        value = 0
    if isinstance(seq_len, bool) or not 0 < value <= MAX_SEQ_LEN:
        raise InvalidInput(f"seq_len must be in [1, 2^31), got {seq_len!r}")
    return value


def token_dtype_name(vocab_size: int) -> str:
    """``"uint16"`` when every id fits (vocab ≤ 65,536), else ``"uint32"``."""
    if vocab_size <= 0:
        raise InvalidInput(f"vocab_size must be positive, got {vocab_size}")
    return "uint16" if vocab_size <= 1 << 16 else "uint32"


def shard_name(k: int) -> str:
    """Name of shard ``k`` (its files are ``NAME.tokens`` and ``NAME.index``)."""
    return f"shard-{k:05d}"


def is_dataset_file(name: str) -> bool:
    """Whether ``name`` is one of the files a dataset directory holds besides the manifest."""
    return bool(_SHARD_FILE.match(name)) or name in (DOC_OFFSETS, DOC_IDS)


def index_nbytes(num_sequences: int, num_pieces: int, version: int = FORMAT_VERSION) -> int:
    """Size in bytes of a shard's ``.index`` file in format ``version``."""
    return INDEX_HEADER.size + 8 * (num_sequences + 1) + _PIECE_BYTES[version] * num_pieces


def file_xxh3(path: str | os.PathLike[str]) -> str:
    """Hex xxh3-64 of a whole file (the manifest's checksums). Read into one reused 1 MiB
    buffer: a new 16 MiB ``bytes`` per read cost twice the CPU (fresh pages faulted in and
    zeroed each time; 0.11-0.16 vs 0.06-0.07 CPU-s for a 300 MB file)."""
    h = xxhash.xxh3_64()
    buffer = bytearray(_HASH_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            h.update(view[:n])
    return h.hexdigest()


def build_manifest(fields: dict[str, Any], *, seq_len: int, dtype: str,
                   sequences_per_shard: int, shards: Sequence[dict[str, Any]],
                   documents: dict[str, Any], split_documents: int) -> dict[str, Any]:
    """The manifest of finished shards and document table.

    ``fields`` carries the caller's metadata (tokenizer, template, strategy, sources, record
    counts under ``totals``); the format's own fields and the totals the shards imply are
    added here, so every writer computes them alike.
    """
    sequences = sum(s["sequences"] for s in shards)
    tokens = sum(s["tokens"] for s in shards)
    totals = dict(fields.get("totals", {}))
    totals.update({
        "documents": documents["count"],
        "pieces": sum(s["pieces"] for s in shards),
        "tokens": tokens,
        "sequences": sequences,
        "padding_tokens": sequences * seq_len - tokens,
        "split_documents": split_documents,
    })
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "boostpack_version": __version__,
        **{k: v for k, v in fields.items() if k != "totals"},
        "seq_len": seq_len,
        "dtype": dtype,
        "byte_order": "little",
        "sequences_per_shard": sequences_per_shard,
        "totals": totals,
        "shards": list(shards),
        "documents": documents,
    }


def write_manifest(directory: str | os.PathLike[str], manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically: the last file of a run, which makes it a dataset."""
    with atomic_write(Path(directory) / MANIFEST, "wb") as f:
        os.fchmod(f.fileno(), 0o644)  # like the shards; mkstemp's 0600 would hide it
        f.write(json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8") + b"\n")


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and sanity-check ``manifest.json`` of the dataset directory ``path``."""
    file = Path(path) / MANIFEST
    if not file.is_file():
        raise CorruptData(f"{path}: no {MANIFEST}; not a packed dataset (or an unfinished run)")
    try:
        manifest = json.loads(file.read_bytes())
    except ValueError as exc:
        raise CorruptData(f"{file}: not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise CorruptData(f"{file}: not a {FORMAT_NAME} manifest")
    if manifest.get("format_version") not in READABLE_VERSIONS:
        raise CorruptData(f"{file}: unsupported format_version {manifest.get('format_version')}")
    for key in ("seq_len", "dtype", "shards", "documents", "totals"):
        if key not in manifest:
            raise CorruptData(f"{file}: missing {key!r}")
    return manifest
