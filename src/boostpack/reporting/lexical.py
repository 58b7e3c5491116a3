"""Lexical diversity of a text sample: distinct-n, compression ratio, vocabulary growth.

Every metric here depends on the sample size (more text repeats more), so the report computes
them on samples of the same size for every input and category (``sampling``). Words are
case-folded runs of letters/digits; each CJK ideograph, kana or hangul syllable is a word of
its own, so Chinese text is measured in characters as dedup shingles it. n-grams never cross
a document boundary.

- distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural
  Conversation Models"): distinct n-grams / all n-grams in the sample, n = 1..4.
- compression ratio (Shaib et al. 2024, "Standardizing the Measurement of Text Diversity"):
  UTF-8 bytes of the sample (documents joined by newlines) / bytes after zlib level 9. Higher
  means more repetitive; about 2-3 for varied English prose.
- vocabulary growth: distinct words after the first k words, at up to 16 points, and the Heaps'
  law exponent beta fitted in log-log space (V = K * N^beta): closer to 1 = new words keep
  coming.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from typing import Any

# Ideographs (CJK unified + extension A + compatibility), kana, hangul syllables.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
MAX_N = 4
_GROWTH_POINTS = 16


def words(text: str) -> list[str]:
    """The case-folded words of ``text`` (see the module docstring)."""
    return _WORD.findall(text.casefold())


def distinct_n(docs: Sequence[Sequence[str]], n: int) -> float | None:
    """Distinct n-grams / all n-grams over the word lists ``docs``; None if there is none."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for w in docs:
        if len(w) >= n:
            total += len(w) - n + 1
            # the n-grams, built in C: shifted copies of the word list, cut to the shortest
            seen.update(zip(*(w[i:] for i in range(n)), strict=False))
    return len(seen) / total if total else None


def compression_ratio(texts: Sequence[str]) -> float | None:
    """UTF-8 size / zlib-9 size of the texts joined by newlines; None for empty text."""
    data = "\n".join(texts).encode("utf-8")
    return len(data) / len(zlib.compress(data, 9)) if data else None


def vocabulary_growth(docs: Sequence[Sequence[str]]) -> dict[str, Any]:
    """``points``: ``[[words seen, distinct words], ...]`` at log-spaced positions (the last
    is the whole sample); ``heaps_beta``: slope of log V over log N (None under 2 points)."""
    total = sum(len(w) for w in docs)
    if total == 0:
        return {"points": [], "heaps_beta": None}
    marks = sorted({max(1, round(total ** (i / (_GROWTH_POINTS - 1))))
                    for i in range(_GROWTH_POINTS)})
    points: list[list[int]] = []
    seen: set[str] = set()
    position = 0
    next_mark = 0
    for w in docs:
        for word in w:
            seen.add(word)
            position += 1
            if position == marks[next_mark]:
                points.append([position, len(seen)])
                next_mark += 1
    return {"points": points, "heaps_beta": _slope_loglog(points)}


def _slope_loglog(points: list[list[int]]) -> float | None:
    """Least-squares slope of log(distinct) against log(seen)."""
    if len(points) < 2:
        return None
    xs = [math.log(p[0]) for p in points]
    ys = [math.log(p[1]) for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def lexical_metrics(texts: Sequence[str]) -> dict[str, Any]:
    """All lexical metrics of one sample: ``distinct_1`` .. ``distinct_4``,
    ``compression_ratio``, ``vocabulary`` (distinct words), ``words``, ``growth``."""
    docs = [words(t) for t in texts]
    out: dict[str, Any] = {f"distinct_{n}": distinct_n(docs, n) for n in range(1, MAX_N + 1)}
    out["compression_ratio"] = compression_ratio(texts)
    out["words"] = sum(len(w) for w in docs)
    out["vocabulary"] = len({word for w in docs for word in w})
    out["growth"] = vocabulary_growth(docs)
    return out
