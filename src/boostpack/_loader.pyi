from typing import Any

import numpy as np
from typing_extensions import disjoint_base

IGNORE_INDEX: int

@disjoint_base
class ShardSamples:
    def __init__(
        self,
        tokens: np.ndarray,
        seq_ptr: np.ndarray,
        piece_start: np.ndarray,
        piece_length: np.ndarray,
        piece_doc: np.ndarray,
        with_labels: bool = True,
        source: str = "shard",
    ) -> None: ...
    def sample(self, j: int) -> dict[str, Any]: ...
