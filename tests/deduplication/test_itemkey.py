"""Item keys (csrc/itemkey.h, boostpack.deduplication.itemkey): which QA records can be one item.

Cases taken from the failures on real QA that the keys exist for (different answers to near
questions, the same problem with other numbers), and the variations that must not part one
item (case, spacing, LaTeX spelling, thousands separators, option-letter forms)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack import InvalidInput, _minhash
from boostpack.deduplication.itemkey import (
    EXACT_ANSWER,
    LONG_ANSWER,
    NO_ANSWER,
    answer_kind,
    answer_sketcher,
    item_keys,
    same_item,
)


def packed(texts: list[str]) -> tuple[bytes, np.ndarray]:
    encoded = [t.encode() for t in texts]
    return b"".join(encoded), np.cumsum([0, *map(len, encoded)]).astype(np.uint64)


def question_key(text: str) -> int:
    return int(_minhash.question_keys(*packed([text]))[0])


def answer_key(text: str, short: int = 64) -> tuple[int, int]:
    kind, key = _minhash.answer_keys(*packed([text]), short)
    return int(kind[0]), int(key[0])


def keys(pairs: list[tuple[str, str]]) -> np.ndarray:
    return item_keys(packed([q for q, _ in pairs]), packed([a for _, a in pairs]),
                     answer_sketcher("char", 5, 1, "keep"))


@pytest.mark.parametrize(("a", "b"), [
    ("What is 2 plus 1?", "What is 1 plus 2?"),        # a multiset: order does not matter
    ("How many apples are 1,000 apples?", "How many apples are 1000 apples?"),
    ("12 + 6 / 3 =", "12+6/3 ="),                       # formula: spacing does not matter
    ("Name a bird.", "Name a mammal."),                 # no numbers: the text decides
])
def test_question_keys_that_agree(a: str, b: str) -> None:
    assert question_key(a) == question_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("What is 2 plus 1?", "What is 2 plus 8?"),
    ("12 + 6 / 3 =", "12 - 6 / 3 ="),                   # formula: every symbol counts
    ("Sort [3, 1, 2].", "Sort [3, 1, 2, 2]."),
    ("What is 3.50 + 1?", "What is 350 + 1?"),
])
def test_question_keys_that_differ(a: str, b: str) -> None:
    assert question_key(a) != question_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("Paris.", "paris"),
    ("(B)", "B"),
    ("b)", "B."),
    ("1,000", "1000"),
    ("$\\dfrac{1}{2}$", "\\frac{1}{2}"),
    ("\\left( x \\right)", "(x)"),
    ("The answer is 42.", "42"),
    ("  \\boxed{18} ", "18"),
    ("x ** 2", "x**2"),
])
def test_short_answers_that_agree(a: str, b: str) -> None:
    assert answer_key(a) == answer_key(b)
    assert answer_key(a)[0] == EXACT_ANSWER


@pytest.mark.parametrize(("a", "b"), [
    ("[2, 8, 6, 9, 1]", "[1, 5, 6, 9]"),
    ("demontieren", "dementieren"),
    ("hello world", "helloworld"),
    ("-1", "1 2"),
    ("walk", "fly"),
])
def test_short_answers_that_differ(a: str, b: str) -> None:
    assert answer_key(a) != answer_key(b)


def test_long_answers_are_keyed_by_their_final_answer() -> None:
    work = "First we add the two numbers and then we divide by three, carefully. " * 3
    kinds = {answer_key(work + end)[0] for end in ("\\boxed{7}", "#### 7", "So the answer is: 7")}
    assert kinds == {LONG_ANSWER}
    assert len({answer_key(work + end)[1] for end in ("\\boxed{7}", "#### 7\n", "The answer is 7.",
                                                       "It is 7.")}) == 1
    assert answer_key(work + "\\boxed{7}") != answer_key(work + "\\boxed{8}")
    assert answer_key(work + "\\boxed{\\frac{1}{2}}") == answer_key(work + "$\\boxed{\\dfrac{1}{2}}$")
    # "To answer this" is no cue: the last number decides
    assert answer_key("To answer this we count " * 4 + "and get 12 items.") == answer_key(
        "Counting them one by one " * 4 + "gives 12.")
    assert answer_key("   ") == (NO_ANSWER, 0)


@given(st.lists(st.sampled_from(["\\", "\\boxed", "\\boxed{", "#", "##", "####", "{9}",
                                  "}", " 3 ", "\n", "x", "\\boxe"]), max_size=30),
       st.integers(0, 99), st.integers(0, 99))
def test_the_last_boxed_or_hashes_decides(noise: list[str], a: int, b: int) -> None:
    """The final answer is the *last* ``\\boxed{}`` (else ``####``), wherever earlier partial
    or overlapping markers stand: keyed as the answer holding only that marker."""
    text = "".join(noise)
    work = "We work it out step by step and check the result twice over. " * 2
    assert answer_key(work + text + f"\\boxed{{{a}}} then no other box") == answer_key(
        work + f"\\boxed{{{a}}} then no other box")
    tail = f"#### {b}"  # nothing boxed after the noise's last box: "####" only if none closes
    if "\\boxed" not in text:
        assert answer_key(work + text + "\n" + tail) == answer_key(work + tail)


def test_worked_arithmetic_is_prose_and_chinese_answers_have_a_cue() -> None:
    """Long answers full of symbols but without code layout are worked solutions: keyed by their
    result, so a reworded step agrees; "答：" states a Chinese solution's result."""
    steps = "Total: 75 + 61 + 74 + 74 + 95 = 379. Average: 379 / 5 = 75.8. So the mean is 75.8."
    assert answer_key(steps)[0] == LONG_ANSWER
    assert answer_key(steps) == answer_key(steps.replace("Total:", "The total:"))
    zh = "分析：速度和：75 + 68 = 143（千米/时）。路程 = 143 × 6 = 858（千米）。\n答：858千米。"
    assert answer_key(zh) == answer_key("请问：" + zh) == answer_key("路程是 858 千米。" * 5 + "答：858千米。")


def test_code_answers_are_compared_whole() -> None:
    code = "def f(x):\n    return [i * i for i in range(x) if i % 2 == 0]  # squares of evens\n"
    haskell = "squareSum :: Integral a => a -> a\nsquareSum n = n * (4 * n * n - 1) `div` 3"
    assert answer_key(code)[0] == answer_key(haskell)[0] == EXACT_ANSWER
    assert answer_key(code) == answer_key(code.replace("    ", "  "))
    assert answer_key(code) != answer_key(code.replace("% 2", "% 3"))


def test_same_item_on_records() -> None:
    q = "Sort the list [5, 3, 8] in ascending order and explain."
    long1 = "We compare each pair of numbers and move the smaller one forward. " * 3 + "\\boxed{[3, 5, 8]}"
    long2 = long1.replace("smaller one", "smaller number")
    long3 = "Bubble sort: swap neighbours that are out of order until none are. " * 3 + "\\boxed{[3, 5, 8]}"
    k = keys([(q, long1), (q, long2), (q, long3), (q.replace("8", "9"), long1), (q, ""), (q, ""),
              (q, "[3, 5, 8]"), (q, "[3,5,8]")])
    pairs = [(0, 1), (0, 2), (0, 3), (4, 5), (0, 4), (6, 7)]
    a = k[[i for i, _ in pairs]]
    b = k[[j for _, j in pairs]]
    got = same_item(a, b, 0.5).tolist()
    # a paraphrased solution agrees; another solution with the same result is another text;
    # other numbers in the question part the pair; no answer agrees only with no answer
    assert got == [True, False, False, True, False, True]
    assert answer_kind(k).tolist() == [LONG_ANSWER] * 4 + [NO_ANSWER] * 2 + [EXACT_ANSWER] * 2
    # a reference without an answer agrees with any answer on the same question
    assert same_item(k[[4]], k[[0]], 0.5, open_a=np.array([True])).tolist() == [True]


@given(numbers=st.lists(st.integers(0, 10**6), min_size=1, max_size=6), seed=st.randoms())
def test_question_key_is_the_multiset_of_numbers(numbers: list[int], seed) -> None:
    words = [f"take {n} apples" for n in numbers]
    shuffled = list(words)
    seed.shuffle(shuffled)
    text = "Please " + ", then ".join(words) + " and count them all carefully, friend."
    other = "Kindly " + " and ".join(shuffled) + ", and how many do we have in total now?"
    assert question_key(text) == question_key(other)
    assert question_key(text) != question_key(text + " Add 1 more.")


def test_bad_offsets_raise() -> None:
    with pytest.raises(InvalidInput):
        _minhash.question_keys(b"abc", np.array([0, 5], dtype=np.uint64))
    with pytest.raises(InvalidInput):
        _minhash.answer_keys(b"abc", np.array([2, 1], dtype=np.uint64), 64)
    with pytest.raises(InvalidInput):
        _minhash.answer_keys(b"abc", np.array([0, 3], dtype=np.uint64), -1)
