"""Mixture: schedule against a brute-force sort, sliding-window proportions, per-source epochs,
closed-form random access against sequential iteration, exact resume in a new process."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from itertools import islice

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack import Mixture
from boostpack.errors import InvalidInput


class Tagged:
    """A stand-in dataset whose item ``i`` is ``(name, i)``: shows which source and index."""

    def __init__(self, name: str, n: int) -> None:
        self.name, self.n = name, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[str, int]:
        assert 0 <= i < self.n
        return self.name, i


def brute_force_schedule(weights: list[Fraction], k: int) -> list[tuple[int, int]]:
    """All draws (i, j) sorted by ideal time (j + 1/2) / w_i, ties to the lower source."""
    total = sum(weights)
    draws = []
    for i, w in enumerate(weights):
        share = w / total
        draws += [(Fraction(2 * j + 1, 2) / share, i, j) for j in range(int(share * k) + 3)]
    return [(i, j) for _, i, j in sorted(draws)[:k]]


int_weights = st.lists(st.integers(1, 30), min_size=1, max_size=5)


@given(weights=int_weights, seed=st.integers(0, 2**32))
def test_schedule_matches_brute_force(weights: list[int], seed: int) -> None:
    m = Mixture([(range(7), w) for w in weights], seed)
    k = 400
    ref = brute_force_schedule([Fraction(w) for w in weights], k)
    assert [m._schedule(x) for x in range(k)] == ref
    assert m.sources(0, k) == [i for i, _ in ref]
    for x in (0, 1, 57, k - 1, k):
        assert m.counts(x) == [sum(1 for i, _ in ref[:x] if i == s) for s in range(len(weights))]


@given(weights=st.lists(st.floats(0.01, 1.0), min_size=2, max_size=4))
def test_proportions_within_a_tenth_of_a_percent_over_any_10k_window(weights: list[float]) -> None:
    m = Mixture([(range(1000), w) for w in weights], seed=0)
    total = 40_000
    window = 10_000
    sources = np.array(m.sources(0, total))
    target = np.array([float(w) for w in m.weights])
    assert np.allclose(target, np.array(weights) / sum(weights), rtol=1e-5)
    onehot = np.zeros((total + 1, len(weights)), dtype=np.int64)
    onehot[np.arange(1, total + 1), sources] = 1
    cum = np.cumsum(onehot, axis=0)
    counts = cum[window:] - cum[:-window]  # every window [k, k + 10k)
    assert np.abs(counts / window - target).max() <= 0.001


def test_random_access_equals_iteration() -> None:
    m = Mixture([(Tagged("qa", 300), 0.6), (Tagged("web", 1000), 0.3), (Tagged("code", 40), 0.1)],
                seed=5)
    seq = list(m)
    assert len(seq) == len(m)
    assert seq == [m[k] for k in range(len(m))]
    assert m[-1] == m[len(m) - 1]
    with pytest.raises(IndexError):
        m[len(m)]
    with pytest.raises(IndexError):
        m[-len(m) - 1]
    # Far beyond len: locate works for any k and agrees with a sequential walk there.
    far = 10**7
    walk = m.sources(far, far + 50)
    assert [m.locate(far + t)[0] for t in range(50)] == walk


def test_each_source_reshuffled_per_source_epoch() -> None:
    n_qa, n_web = 30, 200
    m = Mixture([(Tagged("qa", n_qa), 0.5), (Tagged("web", n_web), 0.5)], seed=11,
                num_samples=400)
    qa = [i for name, i in m if name == "qa"]
    assert len(qa) == m.counts(400)[0] == 200
    epochs = [qa[e * n_qa:(e + 1) * n_qa] for e in range(len(qa) // n_qa)]
    assert all(sorted(e) == list(range(n_qa)) for e in epochs)  # each epoch once each
    assert len({tuple(e) for e in epochs}) == len(epochs)  # a new order every epoch
    web = [i for name, i in m if name == "web"]
    assert len(web) == len(set(web)) == 200  # less than one epoch: no repeats


def test_default_length_stops_before_any_second_epoch() -> None:
    m = Mixture([(range(100), 0.7), (range(100), 0.3)], seed=0)
    counts = m.counts(len(m))
    assert counts[0] == 100 and counts[1] <= 100
    assert m.counts(len(m) + 1)[0] == 101
    used = m.epochs_used(len(m))
    assert used[0] == 1.0 and 0.4 < used[1] < 0.45
    assert m.epochs_used(10 * len(m))[0] == pytest.approx(10, abs=0.01)


RESUME_SCRIPT = """
import json, sys
from boostpack import Mixture
args = json.loads(sys.argv[1])
m = Mixture([(range(n), w) for n, w in args["sources"]], args["seed"],
            num_samples=args["num_samples"], rank=args["rank"], world_size=args["world"])
m.load_state_dict(args["state"])
print(json.dumps(list(m)))
"""


@pytest.mark.parametrize(("consumed", "world"), [(0, 1), (77, 1), (77, 3), (300, 2)])
def test_resume_in_a_new_process(consumed: int, world: int) -> None:
    sources = [[50, 0.25], [120, 0.75]]
    kw = {"num_samples": 600}
    m = Mixture([(range(n), w) for n, w in sources], 3, **kw)
    expected_all = list(m)
    m = Mixture([(range(n), w) for n, w in sources], 3, **kw)
    list(islice(iter(m), consumed))
    state = json.loads(json.dumps(m.state_dict()))
    per_rank = []
    for rank in range(world):
        args = {"sources": sources, "seed": 3, "num_samples": 600, "rank": rank, "world": world,
                "state": state}
        out = subprocess.run([sys.executable, "-c", RESUME_SCRIPT, json.dumps(args)],
                             capture_output=True, text=True, check=True).stdout
        per_rank.append(json.loads(out))
    rest = expected_all[consumed:]
    merged = [per_rank[p % world][p // world] for p in range(len(rest))]
    assert merged == rest


def test_validation() -> None:
    with pytest.raises(InvalidInput):
        Mixture([], 0)
    with pytest.raises(InvalidInput, match="> 0"):
        Mixture([(range(3), 0.0)], 0)
    with pytest.raises(InvalidInput, match="empty"):
        Mixture([(range(0), 1.0)], 0)
    with pytest.raises(InvalidInput, match="finite"):
        Mixture([(range(3), float("nan"))], 0)
    a = Mixture([(range(10), 1), (range(10), 2)], 0)
    with pytest.raises(InvalidInput, match="weights"):
        Mixture([(range(10), 1), (range(10), 3)], 0).load_state_dict(a.state_dict())
    with pytest.raises(InvalidInput, match="lengths"):
        Mixture([(range(11), 1), (range(10), 2)], 0).load_state_dict(a.state_dict())


def test_float_weights_mean_their_decimal_value() -> None:
    m = Mixture([(range(10), 0.7), (range(10), 0.2), (range(10), 0.1)], 0)
    assert m.weights == [Fraction(7, 10), Fraction(1, 5), Fraction(1, 10)]
    assert m.counts(10_000) == [7000, 2000, 1000]


def test_numpy_indices_use_exact_integers() -> None:
    # Large integer weights times a large k overflow int64: indices must become Python ints.
    m = Mixture([(range(10), 999_983), (range(10), 1_000_003)], 0, num_samples=10**13)
    k = 10**13 - 1
    assert m.locate(np.int64(k)) == m.locate(k)
    assert m[np.int64(k)] == m[k]
    assert m.counts(np.int64(k)) == m.counts(k)
