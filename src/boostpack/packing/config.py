"""What a pack run can be asked to do: every option's choices, defaults and limits, and
``PackConfig``, the frozen options of one run, each value validated once when it is built.

This module imports nothing heavy (no numpy, no compiled module, no tokenizer library): the
command line builds its parser from these choices and defaults. Checks that need the tokenizer
file (the pad id in its vocabulary, BOS/EOS present, a chat template) happen when a run
resolves the config against it (``boostpack.packing.job``).
"""

from __future__ import annotations

import operator
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from boostpack.errors import InvalidInput
from boostpack.format.manifest import LOSS_ON, MAX_SEQ_LEN, check_seq_len
from boostpack.runtime.sizes import parse_size

if TYPE_CHECKING:
    from boostpack.ingestion.readers import ReadOptions

Strategy = Literal["bestfit", "concat", "pad"]
STRATEGIES: tuple[Strategy, ...] = ("bestfit", "concat", "pad")
TEMPLATES = ("qa", "qa+reasoning", "text", "chat")
Engine = Literal["auto", "hf", "giga"]
ENGINES: tuple[Engine, ...] = ("auto", "hf", "giga")
DEFAULT_SEQ_LEN = 4096
DEFAULT_SHARD_SIZE = "1G"
# 16k QA documents (≈ 300 tokens each) are ≈ 1,200 sequences of 4096: losing at most part of the
# last sequence per window costs < 0.1% efficiency, and the window's tokens stay ≈ 20 MB.
DEFAULT_WINDOW = 16384
# A record (an input line) longer than this is quarantined as ``too_large`` unread: a line's
# parse, render and encode hold a few copies of it, and one 200 MB line took pack past 17 GB.
# Real QA items are under 100 KB; long reasoning traces under 1 MB.
DEFAULT_MAX_RECORD_BYTES = "4M"
# Input bytes per task. A task packs its documents on its own (its own best-fit windows and
# shard files), so this is also the granularity of resume and of the shard files: 64 MB of QA
# JSONL is ~10M Llama-3 tokens, ~1 s of one core's work.
DEFAULT_TASK_BYTES = "64M"

__all__ = [
    "DEFAULT_MAX_RECORD_BYTES", "DEFAULT_SEQ_LEN", "DEFAULT_SHARD_SIZE", "DEFAULT_TASK_BYTES",
    "DEFAULT_WINDOW", "ENGINES", "LOSS_ON", "MAX_SEQ_LEN", "STRATEGIES", "TEMPLATES", "Engine",
    "PackConfig", "Strategy", "check_choice", "check_seq_len", "check_window",
]


def check_choice(what: str, value: Any, choices: Sequence[str]) -> None:
    """InvalidInput unless ``value`` is one of ``choices`` (``what`` names the option)."""
    if value not in choices:
        raise InvalidInput(f"unknown {what} {value!r} (one of {', '.join(choices)})")


def check_window(window: Any) -> int:
    """``window`` (documents per packing window) as an int ≥ 1, else InvalidInput."""
    try:
        value = operator.index(window)
    except TypeError:
        value = 0
    if isinstance(window, bool) or value < 1:
        raise InvalidInput(f"window must be >= 1, got {window!r}")
    return value


def _read_options_type() -> type[ReadOptions]:
    # Imported on use: the command line imports this module to build its parser, and the
    # readers bring the JSON and decompression libraries with them.
    from boostpack.ingestion.readers import ReadOptions

    return ReadOptions


def _default_read_options() -> ReadOptions:
    return _read_options_type()()


@dataclass(frozen=True)
class PackConfig:
    """The options of one pack run, validated when built (InvalidInput names the bad one).

    ``tokenizer``: a ``tokenizer.json`` or a directory holding one (never downloaded).
    ``seq_len``: tokens per sequence, 1 to ``MAX_SEQ_LEN``. ``strategy``: one of
    ``STRATEGIES`` (``packing.packer``). ``template``: one of ``TEMPLATES``
    (``packing.render``). ``add_bos``/``add_eos``: frame each document with the tokenizer's
    BOS/EOS. ``pad_id``: the padding token (None: the tokenizer's pad token, else EOS, else 0).
    ``shard_size``: bytes of tokens per shard (``"1G"``, ``512M``, an int; held as an int).
    ``tokenizer_engine``: one of ``ENGINES``. ``window``: documents per packing window.
    ``loss_on``: ``all`` tokens carry loss, or only the ``answer``'s (the index records each
    document's prompt tokens). ``max_record_bytes``: longer input lines are quarantined as
    ``too_large``. ``task_bytes``: input bytes per task (inputs are split and grouped into
    tasks of about this size, each packed on its own). ``read``: how input files are read
    (``ReadOptions``).

    Nothing here depends on how a run is executed (workers, progress): the output is a
    function of the inputs and this config alone.
    """

    tokenizer: str | os.PathLike[str]
    seq_len: int = DEFAULT_SEQ_LEN
    strategy: Strategy = "bestfit"
    template: str = "qa"
    add_bos: bool = True
    add_eos: bool = True
    pad_id: int | None = None
    shard_size: str | int = DEFAULT_SHARD_SIZE
    tokenizer_engine: Engine = "auto"
    window: int = DEFAULT_WINDOW
    loss_on: str = "all"
    max_record_bytes: str | int = DEFAULT_MAX_RECORD_BYTES
    task_bytes: str | int = DEFAULT_TASK_BYTES
    read: ReadOptions = field(default_factory=_default_read_options)

    def __post_init__(self) -> None:
        if not isinstance(self.tokenizer, str | os.PathLike) or not os.fspath(self.tokenizer):
            raise InvalidInput(f"tokenizer must be a path, got {self.tokenizer!r}")
        check_choice("strategy", self.strategy, STRATEGIES)
        check_choice("template", self.template, TEMPLATES)
        check_choice("tokenizer engine", self.tokenizer_engine, ENGINES)
        check_choice("loss_on", self.loss_on, LOSS_ON)
        for name in ("add_bos", "add_eos"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidInput(f"{name} must be True or False, got {getattr(self, name)!r}")
        pad = self.pad_id
        if pad is not None and (isinstance(pad, bool) or not isinstance(pad, int) or pad < 0):
            raise InvalidInput(f"pad id {pad!r} is not a token id (an integer >= 0)")
        if not isinstance(self.read, _read_options_type()):
            raise InvalidInput(f"read must be a ReadOptions, got {self.read!r}")
        # Normalized in place (frozen): later code sees plain ints.
        object.__setattr__(self, "seq_len", check_seq_len(self.seq_len))
        object.__setattr__(self, "window", check_window(self.window))
        object.__setattr__(self, "shard_size", parse_size(self.shard_size, "shard size"))
        object.__setattr__(self, "max_record_bytes",
                           parse_size(self.max_record_bytes, "max record bytes", minimum=1024))
        object.__setattr__(self, "task_bytes",
                           parse_size(self.task_bytes, "task bytes", minimum=4096))
