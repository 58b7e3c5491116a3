"""The counters behind the mix and length sections, and the samplers behind diversity."""

from __future__ import annotations

import collections
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack.reporting.lengths import LengthHistogram, bin_of, bin_upper
from boostpack.reporting.mix import MISSING, UNKNOWN, Mix
from boostpack.reporting.sampling import Reservoir

RECORDS = [
    ({"discipline": ["STEM", "Physics", "Optics"], "difficulty": 3, "language": "en"}, 10),
    ({"discipline": ["STEM", "Physics"], "difficulty": 3, "language": "en"}, 20),
    ({"discipline": ["STEM", "Math"], "difficulty": 1, "language": "zh"}, 5),
    ({"difficulty": 2}, 7),
    (None, 11),
]


def test_mix_adds_up_and_keeps_the_hierarchy() -> None:
    mix = Mix()
    for record, tokens in RECORDS:
        mix.add(record, tokens)
    d = mix.to_dict(with_tokens=True)
    for values in d["fields"].values():
        assert sum(v["records"] for v in values.values()) == 5
        assert sum(v["tokens"] for v in values.values()) == 53
    assert d["fields"]["language"] == {"en": {"records": 2, "tokens": 30},
                                       MISSING: {"records": 1, "tokens": 7},
                                       UNKNOWN: {"records": 1, "tokens": 11},
                                       "zh": {"records": 1, "tokens": 5}}
    tree = {n["name"]: n for n in d["discipline_tree"]}
    assert tree["STEM"]["records"] == 3 and tree["STEM"]["tokens"] == 35
    physics = {n["name"]: n for n in tree["STEM"]["children"]}["Physics"]
    assert physics["records"] == 2 and physics["children"][0]["name"] == "Optics"
    assert d["discipline_x_difficulty"]["STEM"]["3"] == {"records": 2, "tokens": 30}
    assert d["discipline_x_difficulty"][MISSING]["2"]["records"] == 1


def test_length_bins() -> None:
    assert bin_of(0) == 0 and bin_of(1) == 1 and bin_of(2) == 5  # 4 bins per doubling
    for n in (1, 3, 17, 1000, 123_456):
        b = bin_of(n)
        assert bin_upper(b - 1) <= n < bin_upper(b)


@given(st.lists(st.integers(0, 100_000), min_size=1, max_size=300))
def test_histogram_quantiles_within_one_bin(values: list[int]) -> None:
    h = LengthHistogram()
    for v in values:
        h.add(v)
    d = h.to_dict()
    assert d["n"] == len(values) and d["max"] == max(values) and d["min"] == min(values)
    assert d["mean"] == pytest.approx(sum(values) / len(values))
    assert sum(b[2] for b in d["bins"]) == len(values)
    exact = sorted(values)[math.ceil(0.5 * len(values)) - 1]
    assert exact <= d["p50"] <= max(exact * 2 ** 0.25, 1)


def test_reservoir_is_uniform_nested_and_order_free() -> None:
    hits: collections.Counter[str] = collections.Counter()
    for seed in range(400):
        r = Reservoir(10, seed)
        for i in range(50):
            r.offer(str(i), key=str(i))
        hits.update(r.items)
    # each of 50 items is kept with probability 10/50: expected 80 of 400 runs
    assert all(40 < hits[str(i)] < 125 for i in range(50))
    forward, backward = Reservoir(100, 1), Reservoir(100, 1)
    for i in range(1000):
        forward.offer(f"text {i}", key=f"id{i}")
        backward.offer(f"text {999 - i}", key=f"id{999 - i}")
    assert forward.items == backward.items  # the stream's order does not matter
    small, large = forward.sample(10), forward.sample(50)
    assert small is not None and large is not None and small == large[:10]
    assert forward.sample(101) is None
    # two copies of one text under different ids are sampled independently
    copies = Reservoir(1000, 3)
    for i in range(2000):
        copies.offer("same text", key=f"id{i}")
    assert len(copies.items) == 1000
