"""``PackConfig``: every option validated once when built, one ``seq_len`` limit shared by every
writer of sequences, ``pack(config=...)`` equal to the keywords, and a command line that reads
the choices without loading numpy."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boostpack.errors import InvalidInput
from boostpack.format.manifest import MAX_SEQ_LEN
from boostpack.format.writer import ShardWriter
from boostpack.ingestion.readers import ReadOptions
from boostpack.packing.config import DEFAULT_WINDOW, PackConfig
from boostpack.packing.packer import Packer, plan
from boostpack.packing.pipeline import pack
from boostpack.runtime.outdir import RECORD_NAME


@pytest.mark.parametrize(("option", "value", "message"), [
    ("seq_len", 0, "seq_len"),
    ("seq_len", MAX_SEQ_LEN + 1, "seq_len"),
    ("seq_len", 4096.0, "seq_len"),
    ("seq_len", True, "seq_len"),
    ("strategy", "first-fit", "unknown strategy"),
    ("template", "markdown", "unknown template"),
    ("tokenizer_engine", "fast", "unknown tokenizer engine"),
    ("add_bos", 1, "add_bos"),
    ("add_eos", None, "add_eos"),
    ("pad_id", -1, "not a token id"),
    ("pad_id", True, "not a token id"),
    ("pad_id", 3.0, "not a token id"),
    ("shard_size", "lots", "shard size"),
    ("shard_size", 0, "shard size"),
    ("window", 0, "window"),
    ("read", {"fmt": "auto"}, "ReadOptions"),
    ("tokenizer", "", "tokenizer"),
    ("tokenizer", 7, "tokenizer"),
])
def test_each_option_is_validated(option: str, value: object, message: str) -> None:
    kwargs: dict[str, object] = {"tokenizer": "tok.json", option: value}
    with pytest.raises(InvalidInput, match=message):
        PackConfig(**kwargs)  # type: ignore[arg-type]


def test_values_are_normalized_and_the_config_is_frozen() -> None:
    cfg = PackConfig("tok.json", seq_len=np.int64(512), shard_size="2M", window=np.int32(9))
    assert (cfg.seq_len, cfg.shard_size, cfg.window) == (512, 2 << 20, 9)
    assert type(cfg.seq_len) is int and type(cfg.window) is int
    assert cfg.read == ReadOptions() and PackConfig("tok.json").window == DEFAULT_WINDOW
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seq_len = 8  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(cfg)) == cfg  # worker processes receive it


_SEQ_LEN_USERS = {
    "config": lambda n, _: PackConfig("tok.json", seq_len=n),
    "packer": lambda n, _: Packer(n, pad_id=0, dtype=np.dtype("<u4")),
    # "pad": best-fit's kernel takes O(seq_len) memory per window (16 GB at the limit).
    "plan": lambda n, _: plan(np.array([3], np.uint64), n, "pad"),
    "writer": lambda n, d: ShardWriter(d / str(n), seq_len=n, dtype=np.dtype("<u4"),
                                       sequences_per_shard=1).abort(),
}


@pytest.mark.parametrize("user", sorted(_SEQ_LEN_USERS))
def test_one_seq_len_limit_for_every_writer_of_sequences(user: str, tmp_path: Path) -> None:
    make = _SEQ_LEN_USERS[user]
    make(MAX_SEQ_LEN, tmp_path)
    for bad in (0, MAX_SEQ_LEN + 1):
        with pytest.raises(InvalidInput, match=r"seq_len must be in \[1, 2\^31\)"):
            make(bad, tmp_path)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()
            and p.name not in ("manifest.json", RECORD_NAME)}


def test_pack_takes_a_config_or_keywords_not_both(tmp_path: Path,
                                                  llama3_tokenizer_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(f'{{"id": "r{i}", "prompt": "q{i}", "response": "{"a" * i}"}}\n'
                           for i in range(40)))
    mapping = {"question": "prompt", "answer": "response"}
    by_keywords = pack(src, tmp_path / "kw", tokenizer=llama3_tokenizer_path, seq_len=16,
                       strategy="concat", mapping=mapping, progress=False)
    cfg = PackConfig(llama3_tokenizer_path, seq_len=16, strategy="concat",
                     read=ReadOptions(mapping=mapping))
    by_config = pack(src, tmp_path / "cfg", config=cfg, progress=False)
    assert _files(tmp_path / "kw") == _files(tmp_path / "cfg")
    assert by_keywords["sequences"] == by_config["sequences"] > 1
    with pytest.raises(InvalidInput, match=r"not both.*seq_len"):
        pack(src, tmp_path / "x", config=cfg, seq_len=32)
    with pytest.raises(InvalidInput, match=r"not both.*tokenizer"):
        pack(src, tmp_path / "x", config=cfg, tokenizer=llama3_tokenizer_path)
    with pytest.raises(InvalidInput, match=r"not both.*strict"):
        pack(src, tmp_path / "x", config=cfg, strict=True)
    with pytest.raises(InvalidInput, match="needs a tokenizer"):
        pack(src, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_the_command_line_reads_pack_choices_without_numpy() -> None:
    code = ("import argparse, sys\n"
            "from boostpack.commands import pack, verify\n"
            "sub = argparse.ArgumentParser().add_subparsers()\n"
            "pack.register(sub); verify.register(sub)\n"
            "heavy = [m for m in sys.modules if m == 'numpy' or m.startswith('boostpack._')\n"
            "         and m != 'boostpack._version']\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)
