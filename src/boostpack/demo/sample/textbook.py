"""The sample's plain-text file: textbook-like paragraphs, the demo's "general corpus"."""

from __future__ import annotations

import random
from typing import Any

from boostpack.demo.sample.items import draw_raw_item
from boostpack.demo.sample.topics_science import ALGORITHMS, COMPOUNDS, ORGANELLES
from boostpack.demo.sample.topics_society import CAPITALS
from boostpack.demo.sample.topics_zh import POEMS
from boostpack.demo.sample.variants import DiversityFilter

_FACTS = ([f"The {o} is responsible for {role}; {d}." for o, role, d in ORGANELLES]
          + [f"{c} is the capital of {k}, {ctx}." for k, c, ctx, _, _ in CAPITALS]
          + [f"The worst-case running time of {a} is {c}, because {w}." for a, c, w in ALGORITHMS]
          + [f"《{p}》是唐代诗人{a}的作品。" for p, a in POEMS]
          + [f"The molar mass of {name} ({f}) is {m} g/mol." for name, f, m in COMPOUNDS])
_EXAMPLE_LABELS = [("Example", "Solution"), ("Worked example", "Working"),
                   ("Exercise", "Solution"), ("Try it", "Answer"), ("Sample problem", "Solution")]


def textbook_paragraphs(r: random.Random, n: int, diversity: DiversityFilter) -> list[dict[str, Any]]:
    """Text paragraphs: half a few facts in a row, half a worked example, as in a textbook."""
    out: list[dict[str, Any]] = []
    while len(out) < n:
        if len(out) % 2:
            # Five or more facts, so no one fact makes a paragraph similar to the QA item on it.
            group, text = "facts", " ".join(r.sample(_FACTS, r.randint(5, 8)))
        else:
            item, group = draw_raw_item(r)
            label, solution = r.choice(_EXAMPLE_LABELS)
            text = (f"{label} {r.randint(1, 12)}.{r.randint(1, 9)} {item['question']} "
                    f"{solution}: {' '.join(item['steps'])}")
        if diversity.admit(group, text):
            out.append({"text": text, "source": "boostpack-sample/textbook"})
    return out
