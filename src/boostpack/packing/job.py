"""One pack run's settings: a ``PackConfig`` resolved against its tokenizer (BOS/EOS/pad ids,
token dtype, sequences per shard) and what the manifest records about how the data was made.

Frozen and picklable: the worker processes receive it (and so would a distributed backend's
tasks), each loading the tokenizer from ``tokenizer`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.errors import InvalidInput
from boostpack.format.writer import token_dtype
from boostpack.packing.config import PackConfig
from boostpack.packing.render import ChatTemplate, parts_renderer, renderer
from boostpack.packing.tokenization import TokenizerInfo, load_tokenizer_info


def _special(token_id: int | None, wanted: bool, name: str, switch: str) -> int | None:
    if not wanted:
        return None
    if token_id is None:
        raise InvalidInput(f"the tokenizer has no {name} token that boostpack can identify; "
                           f"pass {switch}")
    return token_id


def _chat(info: TokenizerInfo) -> ChatTemplate:
    if not info.chat_template:
        raise InvalidInput(f"template 'chat': {info.path} has no chat template (looked for "
                           f"chat_template in {info.path.with_name('tokenizer_config.json')})")
    return ChatTemplate(info.chat_template, info.bos_token or "", info.eos_token or "")


def _renderer(template: str, info: TokenizerInfo) -> Callable[[dict[str, Any]], str]:
    return renderer(template) if template != "chat" else renderer("chat", _chat(info))


@dataclass(frozen=True)
class PackJob:
    """``config`` resolved: ``tokenizer`` is the ``tokenizer.json`` path; ``bos``/``eos`` the
    ids framing each document (None: not added); ``pad`` the padding id; ``dtype`` the token
    dtype; ``per_shard`` sequences per shard."""

    config: PackConfig
    tokenizer: Path
    bos: int | None
    eos: int | None
    pad: int
    dtype: np.dtype
    per_shard: int

    @classmethod
    def resolve(cls, config: PackConfig) -> PackJob:
        """Read the tokenizer's identity and specials; InvalidInput when the config asks for
        something it lacks (BOS/EOS, a chat template) or the pad id is not one of its ids."""
        info = load_tokenizer_info(config.tokenizer)
        _renderer(config.template, info)  # fails early when the chat template is missing
        bos = _special(info.bos_id, config.add_bos, "BOS", "--no-bos")
        eos = _special(info.eos_id, config.add_eos, "EOS", "--no-eos")
        if config.template == "chat" and bos is not None and "bos_token" in (
                info.chat_template or ""):
            bos = None  # the template writes the BOS text itself; never two BOS
        pad = config.pad_id if config.pad_id is not None else next(
            (i for i in (info.pad_id, info.eos_id) if i is not None), 0)
        if not 0 <= pad < info.vocab_size:
            raise InvalidInput(f"pad id {config.pad_id!r} is not a token id of this tokenizer "
                               f"(0 to {info.vocab_size - 1})")
        dtype = token_dtype(info.vocab_size)
        per_shard = max(1, int(config.shard_size) // (config.seq_len * dtype.itemsize))
        return cls(config, info.path, bos, eos, pad, dtype, per_shard)

    @property
    def info(self) -> TokenizerInfo:
        """The tokenizer's identity and specials (cached by ``load_tokenizer_info``)."""
        return load_tokenizer_info(self.tokenizer)

    def renderer(self) -> Callable[[dict[str, Any]], str]:
        """The record → text function of the config's template (``chat``: the tokenizer's)."""
        return _renderer(self.config.template, self.info)

    def parts_renderer(self) -> Callable[[dict[str, Any]], tuple[str, str]]:
        """The record → (prompt, response) function of the config's template
        (``render.parts_renderer``); only ``chat`` reads the tokenizer's files."""
        template = self.config.template
        return parts_renderer(template) if template != "chat" else _chat(self.info).parts

    def manifest_fields(self, engine: str | None) -> dict[str, Any]:
        """How the data was made, as the manifest records it (``engine``: the encoder used)."""
        cfg = self.config
        return {
            "created_by": "boostpack pack",
            "tokenizer": {**self.info.manifest_entry(), "pad_id": self.pad, "engine": engine},
            "template": cfg.template,
            "add_bos": self.bos is not None,
            "add_eos": self.eos is not None,
            "strategy": cfg.strategy,
            "window": cfg.window,
            "loss_on": cfg.loss_on,
        }
