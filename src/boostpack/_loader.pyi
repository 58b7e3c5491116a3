from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from typing_extensions import disjoint_base

IGNORE_INDEX: int

@disjoint_base
class ShardSamples:
    @property
    def num_rows(self) -> int: ...
    @property
    def seq_len(self) -> int: ...
    @property
    def num_documents(self) -> int: ...
    @property
    def source(self) -> str: ...
    def __init__(
        self,
        tokens: np.ndarray,
        seq_ptr: np.ndarray,
        piece_start: np.ndarray,
        piece_length: np.ndarray,
        piece_doc: np.ndarray,
        piece_loss: np.ndarray | None = None,
        *,
        num_documents: int,
        source: str = "shard",
    ) -> None: ...
    def tokens(self, j: int) -> np.ndarray: ...

@disjoint_base
class Samples:
    @property
    def num_sequences(self) -> int: ...
    @property
    def with_labels(self) -> bool: ...
    @property
    def seq_len(self) -> int: ...
    def __init__(
        self,
        counts: Sequence[int],
        open_shard: Callable[[int], ShardSamples],
        with_labels: bool = True,
        *,
        seq_len: int,
    ) -> None: ...
    def __len__(self) -> int: ...
    def shard(self, k: int) -> ShardSamples: ...
    def locate(self, index: int) -> tuple[int, int]: ...
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    def sample(self, index: int) -> dict[str, Any]: ...
    def batch(self, indices: Sequence[int]) -> dict[str, Any]: ...

def gather(
    sources: list[Samples], which: Sequence[int] | np.ndarray | None, indices: Sequence[int]
) -> dict[str, Any]: ...
