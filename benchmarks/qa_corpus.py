"""What every benchmark shares: where the real QA corpus is, its documents as one packed buffer,
and a CPU-time timer (``process_time``: the machine is shared, and CPU time is what "per core"
means). Importable from the scripts (run from any directory) and from the pytest files."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import zstandard

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
QA_EN = CORPORA / "qa_en.jsonl.zst"


def qa_docs(limit: int, path: Path = QA_EN) -> list[bytes]:
    """The first ``limit`` items of ``path`` as UTF-8 ``question + "\\n" + answer``."""
    docs: list[bytes] = []
    with open(path, "rb") as fh:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        for line in reader:
            rec = json.loads(line)
            docs.append(f"{rec['question']}\n{rec['answer']}".encode())
            if len(docs) == limit:
                break
    return docs


def packed(docs: list[bytes]) -> tuple[bytes, np.ndarray]:
    """``(data, offsets)``: the documents concatenated, with uint64 offsets[n + 1]."""
    offsets = np.zeros(len(docs) + 1, dtype=np.uint64)
    np.cumsum([len(d) for d in docs], out=offsets[1:])
    return b"".join(docs), offsets


def best_cpu_seconds(fn: Callable[[], object], repeat: int = 3) -> float:
    """The least CPU time ``fn`` took over ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best
