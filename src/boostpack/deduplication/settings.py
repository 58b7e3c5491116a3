"""Dedup settings: the measured default and the valid range of each, defined once.

``DedupConfig`` (``deduplication.config``) checks a whole run's settings with these functions,
and ``MinHasher``, ``optimal_params`` and ``ngram_hashes`` call the same ones, so a value is
either valid everywhere or rejected everywhere with the same message. This module imports
nothing heavy (no numpy, no compiled module): the CLI reads the defaults from it while it
builds its parser.
"""

from __future__ import annotations

import numbers
from typing import Any

from boostpack.errors import InvalidInput

# Measured on real QA with planted near-duplicates (tools/measure_near_dup_defaults.py,
# docs/dedup-defaults.md): character 5-grams keep short paraphrased QA items similar enough to
# find, where word 5-grams (the web-corpus convention) lose most of them.
# What dedup's worker processes import before their first task (``TaskRunner.warm``).
WORKER_MODULES = ("boostpack.deduplication.sign", "boostpack.deduplication.cluster",
                  "boostpack.deduplication.write")

DEFAULT_THRESHOLD = 0.5
DEFAULT_NUM_PERM = 128
DEFAULT_NGRAM = 5
DEFAULT_SHINGLE = "char"
DEFAULT_SEED = 1
SHINGLES = ("word", "char")

# Digits: "keep" (each digit a word character, unchanged) or "class" (every decimal digit -> "0",
# the web-corpus convention). "keep" by default: on the 57,628 qa_en items with string answers,
# "class" gives 1,106 distinct items (1,010 of them arithmetic like "4 * 8 =\n32" vs
# "9 + 5 =\n14") the exact hash of another item, so exact dedup would drop distinct problems
# (tools/measure_digit_collisions.py, docs/dedup-defaults.md).
DEFAULT_DIGITS = "keep"
DIGIT_MODES = ("keep", "class")

DEFAULT_FIELDS = ("question", "answer")
KEEP_POLICIES = ("first", "longest")

# QA records: a near pair must also be one item, the same question numbers and an answer that
# agrees (deduplication.itemkey); the question text alone goes into the MinHash signature.
# Without it, 20% of the real QA corpus goes as near duplicates of items with another answer
# (tools/measure_qa_dedup.py, docs/dedup-defaults.md).
DEFAULT_ANSWER_CHECK = True
# Sketch similarity at which two long free-text answers agree: planted paraphrases of real
# answers (one word in ten replaced) stay above it, different answers to near questions fall
# below it (docs/dedup-defaults.md).
DEFAULT_ANSWER_THRESHOLD = 0.5
# Shingles found in more than this share of a sample of the documents are boilerplate
# (instruction prefixes, "Question: ... Answer:", option scaffolding) and do not count
# (deduplication.boilerplate); None turns the filter off.
DEFAULT_BOILERPLATE_DF: float | None = 0.05

# The MinHash estimate of a Jaccard J has standard error sqrt(J(1-J)/num_perm): under 1.6% at
# 1024 permutations. More only costs: 4 bytes per permutation per document in the signature
# files and in every gather of candidate-pair signatures.
MAX_NUM_PERM = 1024
# datasketch draws the permutations from numpy's RandomState(seed), which takes 32-bit seeds.
SEED_LIMIT = 1 << 32
# Output files get a zstd frame per this much input (see deduplication.write); 16 MB frames
# cost +0.04% size on the qa_en benchmark data.
DEFAULT_FRAME_BYTES = 16 << 20


def check_threshold(value: Any, name: str = "threshold") -> float:
    """``value`` as a float strictly between 0 and 1: a Jaccard similarity to decide at."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 < value < 1.0:
        raise InvalidInput(f"{name} must be between 0 and 1 (exclusive), got {value!r}")
    return float(value)


def check_int(name: str, value: Any, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``low..high`` (no upper bound when ``high`` is None)."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low
            or (high is not None and value > high)):
        bound = f"from {low} to {high}" if high is not None else f">= {low}"
        raise InvalidInput(f"{name} must be an integer {bound}, got {value!r}")
    return int(value)


def check_num_perm(value: Any) -> int:
    return check_int("num_perm", value, 1, MAX_NUM_PERM)


def check_seed(value: Any) -> int:
    return check_int("seed", value, 0, SEED_LIMIT - 1)


def check_ngram(value: Any) -> int:
    """A shingle length; the kernel's ``MAX_NGRAM`` (``csrc/minhash.h``) is the upper limit."""
    from boostpack import _minhash

    return check_int("ngram", value, 1, _minhash.MAX_NGRAM)


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def check_shingle(value: Any) -> str:
    return check_choice("shingle", value, SHINGLES)


def check_digits(value: Any) -> str:
    return check_choice("digits", value, DIGIT_MODES)

