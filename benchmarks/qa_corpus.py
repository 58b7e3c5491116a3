"""What every benchmark shares: where the real corpora are, their documents as one packed buffer,
and a CPU-time timer (``process_time``: the machine is shared, and CPU time is what "per core"
means). Importable from the scripts (run from any directory) and from the pytest files."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import zstandard

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
QA_EN = CORPORA / "qa_en.jsonl.zst"
ZH_POETRY = CORPORA / "zh_poetry.jsonl.zst"


def _records(path: Path) -> Iterator[dict]:
    with open(path, "rb") as fh:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        for line in reader:
            yield json.loads(line)


def qa_docs(limit: int, path: Path = QA_EN) -> list[bytes]:
    """The first ``limit`` items of ``path`` as UTF-8 ``question + "\\n" + answer``."""
    docs: list[bytes] = []
    for rec in _records(path):
        docs.append(f"{rec['question']}\n{rec['answer']}".encode())
        if len(docs) == limit:
            break
    return docs


def zh_docs(limit: int, path: Path = ZH_POETRY) -> list[bytes]:
    """The first ``limit`` poems of ``path`` (Chinese, CJK punctuation) as UTF-8 ``title + "\\n" +
    text``."""
    docs: list[bytes] = []
    for rec in _records(path):
        docs.append(f"{rec.get('title') or ''}\n{rec['text']}".encode())
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
