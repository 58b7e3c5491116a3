"""The sample's QA items: unique base items drawn from the topic templates, then planted duplicates.

Base items pass the diversity filter, as a synthesis pipeline filters its own output; then a
share of them is copied exactly (``EXACT_SHARE``) or with a small edit (``NEAR_SHARE``), and
each copy is recorded in the duplicate truth.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from boostpack.demo.sample.framing import render
from boostpack.demo.sample.template import Item
from boostpack.demo.sample.topics_advanced import hard
from boostpack.demo.sample.topics_math import (
    arith_change,
    arith_groups,
    circle,
    derivative,
    fractions,
    linear,
    percent,
    probability,
    pythagoras,
    quadratic,
    rate,
    sequence,
    statistics,
    system,
    volume,
)
from boostpack.demo.sample.topics_science import (
    biology,
    chemistry,
    computer_science,
    electricity,
    energy,
    kinematics,
    optics,
)
from boostpack.demo.sample.topics_society import economics, geography, history, interest
from boostpack.demo.sample.topics_zh import zh_math, zh_misc
from boostpack.demo.sample.variants import DiversityFilter, near_edit

EXACT_SHARE, NEAR_SHARE = 0.04, 0.06

# (generator, weight): most weight on templates with large spaces; fact templates stop giving
# new items once each fact is used.
TEMPLATES: list[tuple[Callable[[random.Random], Item], float]] = [
    (arith_change, 4), (arith_groups, 4), (percent, 4), (linear, 5), (quadratic, 4),
    (pythagoras, 3), (circle, 4), (statistics, 4), (probability, 4), (system, 3),
    (rate, 4), (interest, 3), (volume, 3), (fractions, 3), (sequence, 3), (derivative, 3),
    (kinematics, 5), (optics, 4), (electricity, 4), (energy, 5), (chemistry, 6),
    (biology, 4), (history, 1), (geography, 1), (computer_science, 6), (economics, 5),
    (hard, 5), (zh_math, 14), (zh_misc, 1),
]

_FUNCS = [f for f, _ in TEMPLATES]
_WEIGHTS = [w for _, w in TEMPLATES]


def draw_raw_item(r: random.Random) -> tuple[Item, str]:
    """A template drawn by weight, its raw item, and the item's diversity group: the template
    and discipline path, one kind of problem (see ``DiversityFilter``)."""
    func = r.choices(_FUNCS, _WEIGHTS)[0]
    item = func(r)
    return item, f"{func.__name__}:{'/'.join(item['discipline'])}"


def draw_items(n_records: int, r: random.Random,
               diversity: DiversityFilter) -> tuple[list[Item], list[dict[str, str]]]:
    """n_records QA items (unique base items plus planted duplicates) and the duplicate truth."""
    n_exact = round(n_records * EXACT_SHARE)
    n_near = round(n_records * NEAR_SHARE)
    items = _base_items(n_records - n_exact - n_near, r, diversity,
                        max_attempts=50 * n_records)
    truth = _plant_duplicates(items, n_exact, n_near, r)
    return items, truth


def _base_items(n: int, r: random.Random, diversity: DiversityFilter,
                max_attempts: int) -> list[Item]:
    """``n`` rendered items with distinct questions (and facts) that pass ``diversity``."""
    items: list[Item] = []
    seen: set[str] = set()
    attempts = 0
    while len(items) < n:
        attempts += 1
        if attempts > max_attempts:
            raise RuntimeError("sample templates exhausted")  # a bug in the templates, not input
        item, group = draw_raw_item(r)
        key = item.pop("key", item["question"])
        if key in seen:
            continue
        item = render(r, item, worked=key == item["question"])
        if item["question"] in seen or not diversity.admit(
                group, f"{item['question']}\n{item['answer']}"):
            continue
        seen.update((key, item["question"]))
        items.append(item)
    for i, item in enumerate(items):
        item["id"] = f"sample-{i:06d}"
    return items


def _plant_duplicates(items: list[Item], n_exact: int, n_near: int,
                      r: random.Random) -> list[dict[str, str]]:
    """Append ``n_exact`` exact and ``n_near`` edited copies of random base items to ``items``;
    return the truth: one ``{"id", "of", "kind", "edit"}`` per copy."""
    truth: list[dict[str, str]] = []
    base = len(items)
    for k in range(n_exact + n_near):
        orig = items[r.randrange(base)]
        dup = dict(orig)
        dup["id"] = f"sample-{len(items):06d}"
        if k < n_exact:
            edit, kind = "none", "exact"
        else:
            zh = orig["language"] == "zh"
            field = "question" if r.random() < 0.75 else "answer"
            dup[field], edit = near_edit(r, orig[field], zh)
            kind = "near"
        items.append(dup)
        truth.append({"id": dup["id"], "of": orig["id"], "kind": kind, "edit": edit})
    return truth
