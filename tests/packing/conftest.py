"""Fixtures of the packing tests: engine verdicts (``packing.engines``) stored in a directory of
the session, so no test depends on, or writes to, the user's cache; the reference tokenizer;
documents read back from a packed dataset; an engine that disagrees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from boostpack.format.reader import open_shards
from boostpack.packing.tokenization import GigaEncoder


@pytest.fixture(scope="session", autouse=True)
def _verdict_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOSTPACK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def _dataset_documents(path: Path) -> tuple[list[tuple[str, list[int]]], list[int]]:
    """Documents reassembled by walking every piece in dataset order (so a split document's
    pieces must come in document order), and the number of pieces per document."""
    ds = open_shards(path)
    tokens: dict[int, list[int]] = {}
    for k in range(ds.num_shards):
        sh = ds.shard(k)
        for j in range(sh.num_sequences):
            for s, n, d in zip(*(a.tolist() for a in sh.pieces(j)), strict=True):
                tokens.setdefault(d, []).extend(sh.tokens[j, s:s + n].tolist())
    pieces = np.zeros(ds.num_documents, dtype=int)
    for k in range(ds.num_shards):
        np.add.at(pieces, ds.shard(k).piece_doc.astype(np.int64), 1)
    assert sorted(tokens) == list(range(ds.num_documents))
    return [(ds.record_id(d), tokens[d]) for d in range(ds.num_documents)], pieces.tolist()


@pytest.fixture(scope="session")
def dataset_documents() -> Callable[[Path], tuple[list[tuple[str, list[int]]], list[int]]]:
    """``(documents, pieces per document)`` of a packed dataset; see ``_dataset_documents``."""
    return _dataset_documents


@pytest.fixture(scope="session")
def reference(llama3_tokenizer_path: Path) -> Any:
    """The reference engine: Hugging Face ``tokenizers`` with the Llama-3 tokenizer."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(llama3_tokenizer_path))


@pytest.fixture
def giga_off_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """gigatoken made to disagree with tokenizers on every id."""
    real = GigaEncoder.encode

    def off_by_one(self: GigaEncoder, texts: Any, parallel: bool = True
                   ) -> tuple[np.ndarray, np.ndarray]:
        ids, offsets = real(self, texts, parallel)
        return ids + 1, offsets

    monkeypatch.setattr(GigaEncoder, "encode", off_by_one)
