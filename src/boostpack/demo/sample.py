"""A deterministic sample of synthesized-style QA, in several input formats, for the demo and tests.

What ``write_sample(directory)`` writes (no external data; same seed → same bytes):

- ``qa_synth.jsonl``: flat QA with ``discipline`` as a ``"STEM/Physics/Optics"`` string;
- ``chat_synth.jsonl.zst``: chat ``messages`` with a system turn, two zstd frames;
- ``batch_output.jsonl``: OpenAI Batch API output (no question: that is in the requests file),
  with ``<think>``-free answers and ``reasoning_content`` for the reasoning model;
- ``textbook.jsonl``: short plain-text paragraphs (``{"text": ...}``);
- ``_batch_requests/batch_input.jsonl``: the Batch API *input* (give it as ``requests=``);
- ``_truth/duplicates.jsonl``: ground truth of the planted duplicates, one line each:
  ``{"id", "of", "kind": "exact"|"near", "edit"}`` (directories starting with ``_`` are not
  ingested when the sample directory is given as input).

The QA comes from ~30 templates over ~27 discipline paths (arithmetic to Chinese poetry). Each
template draws a scenario, names, quantities and one of several phrasings, and states the worked
answer as steps computed from the values; every item then gets a generator-style frame (a
learner's context or task prefix, an instruction, an opening line, a step layout, a remark, a
closing line), so items differ the way generator output does: same kinds of problems, different
wording and content. About 13% are Chinese. Fact templates (capitals, dates, poems) use each fact
once. Text paragraphs are runs of five or more facts, or worked examples.

Templates still repeat themselves over thousands of draws (alone, they leave default dedup
removing ~4% of the base items of the default sample), and the demo must show dedup finding the
*planted* duplicates, so base items and paragraphs pass a diversity filter, as a synthesis
pipeline filters its own output: one whose character 5-gram Jaccard similarity (dedup's default
shingling) to an earlier one of its template and discipline reaches ``MAX_BASE_SIMILARITY`` is
redrawn (about one draw in five). tests/test_sample.py checks all pairs and the dedup result.
Planted on top: exact duplicates (~4%, often in another file) and near duplicates (~6%: a word
swapped for a synonym or deleted, punctuation or case changed, doubled spaces, a Chinese
character dropped), plus a handful of malformed lines, each a case the quarantine must catch.
"""

from __future__ import annotations

import math
import os
import random
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import zstandard

from boostpack.deduplication.minhash import MinHasher
from boostpack.runtime.atomic import atomic_write

REQUESTS_PATH = "_batch_requests/batch_input.jsonl"
TRUTH_PATH = "_truth/duplicates.jsonl"
EXACT_SHARE, NEAR_SHARE = 0.04, 0.06
# Below dedup's default threshold (0.5) by a margin, because dedup compares MinHash estimates
# (about ±0.045 at 128 permutations), not exact similarities.
MAX_BASE_SIMILARITY = 0.4

_NAMES = ["Maya", "Liam", "Aisha", "Kenji", "Sofia", "Mateo", "Priya", "Noah", "Elena", "Omar",
          "Zara", "Lucas", "Amara", "Chen", "Ivan", "Fatima", "Diego", "Hana", "Tariq", "Ingrid",
          "Jonas", "Leila", "Ravi", "Chloe", "Kwame", "Yuki", "Marco", "Nadia", "Felix", "Rosa",
          "Samir", "Greta", "Tomás", "Ayesha", "Oliver", "Mei", "Daniel", "Imani", "Pablo", "Anya"]
_ZH_NAMES = ["小明", "小红", "李华", "王芳", "张伟", "刘洋", "陈静", "赵磊", "周杰", "吴婷", "孙浩",
             "郑爽", "马丽", "黄河", "林晓", "何平"]
_GENERATORS = ["qwen2.5-72b-instruct", "deepseek-r1", "llama-3.1-70b-instruct", "gpt-4o-mini"]
_SYSTEM = {"en": "You are a patient teacher. Answer the question and show the key steps.",
           "zh": "你是一位耐心的老师。请回答问题并给出关键步骤。"}

# Generator-style framing, shared by every template: the same instruction-tuned models wrap
# the same problem differently from one call to the next.
_Q_PREFIXES = ["", "", "", "Problem: ", "Question: ", "Exercise {k}. ", "Practice problem: ",
               "Homework question: ", "Quick check: ", "Review question {k}: ", "Try this one. ",
               "From a unit test: ", "Warm-up {k}: "]
_Q_SUFFIXES = ["", "", "", " Show your work.", " Explain your reasoning.", " Show each step.",
               " Include units in your answer.", " Justify your answer briefly.",
               " Write out the calculation.", " Please explain how you got it.",
               " Keep the explanation short.", " Check your result at the end."]
_OPENERS = ["", "", "Let's work through it step by step.\n", "We can solve this directly.\n",
            "Here is the reasoning.\n", "Step by step:\n", "Start from what is given.\n",
            "Sure! Let's break it down.\n", "Solution:\n", "Let me set this up carefully.\n",
            "Good question. Here is how to approach it.\n", "We only need one key idea.\n",
            "First, identify what is being asked.\n", "Let's organize the information.\n"]
_CLOSERS = ["", "\n\n**Answer:** {final}", "\n\nFinal answer: {final}",
            "\n\nSo the answer is {final}.", "\n\nTherefore: {final}.", "\n\nAnswer: {final}",
            "\n\nIn short, {final}.", "\n\nThe result: {final}.", "\n\n✅ {final}",
            "\n\nThat gives {final}."]
# A learner's framing of the question, filled with the item's topic (its discipline leaf).
_CONTEXTS = ["{name} is studying {topic} and gets stuck on this: ",
             "A {level} {topic} worksheet asks: ", "From {name}'s {topic} homework: ",
             "{name}'s study group cannot agree on this {topic} problem. ",
             "Our {topic} teacher gave us this one today. ", "I'm preparing for {a_topic} quiz. ",
             "In {a_topic} tutoring session, {name} is asked: ",
             "Here's {a_topic} question from last year's {level} exam. ",
             "My {rel} asked me this {topic} question and I want to check my answer. ",
             "Can you help with this {topic} problem? ", "{name} found this in {a_topic} textbook. ",
             "A {level} {topic} review sheet includes this question. "]
_RELATIVES = ["little brother", "cousin", "daughter", "son", "friend", "classmate", "niece",
              "younger sister", "neighbor's kid", "study partner"]
_REMARKS = ["A quick estimate agrees with the size of this result.",
            "Writing the formula before substituting numbers avoids most mistakes.",
            "Keep track of units at every step; they catch errors early.",
            "It is worth re-reading the question to be sure this is what was asked.",
            "Rounding only at the end keeps the answer accurate.",
            "The same method works for any values of this kind.",
            "Drawing a quick sketch makes the setup easier to see.",
            "Plugging the result back in is a good habit for checking it.",
            "The key step is choosing the right relationship; the rest is arithmetic.",
            "Notice which quantities were given and which one we solved for.",
            "Small slips in arithmetic are the most common error on problems like this.",
            "If the numbers changed, only the substitution step would change."]
_ZH_Q_SUFFIXES = ["", "", "（写出计算过程）", "请说明理由。", "（列式计算）", "请写出解题步骤。"]
_ZH_OPENERS = ["", "解：", "分析：", "我们一步一步来算。\n", "思路：先找出已知条件。\n"]
# Fact questions (capitals, dates, poems) get no talk of calculation or steps.
_FACT_Q_SUFFIXES = ["", "", " Answer briefly.", " One sentence is enough.", " Add a little context."]
_FACT_OPENERS = ["", "", "Good question.\n", "Here is the short answer.\n", "Sure.\n"]
_ZH_FACT_Q_SUFFIXES = ["", "", "请简要回答。"]
_ZH_CLOSERS = ["", "\n答：{final}。", "\n所以答案是{final}。", "\n综上，{final}。"]
_REASONING_EN = ["Let me work through this. {step} Double-checking the arithmetic before answering.",
                 "Okay, I expect {final}. Let me verify: {step} That looks right.",
                 "First: {step} Then I should make sure the units and numbers are consistent.",
                 "Hmm, let me think. {step} I'll re-derive it once more to be safe."]
_REASONING_ZH = ["让我想一想：{step}再检查一遍结果。", "先理清已知条件。{step}核对无误。",
                 "这道题的关键是：{step}答案应是{final}。"]

Item = dict[str, Any]
_CJK = re.compile("[\u4e00-\u9fff]")


def _num(x: float) -> str:
    """A value as a person writes it: no trailing zeros, at most 2 decimals."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _qa(question: str, steps: list[str], final: str, path: list[str], difficulty: int,
        grade: str, key: str | None = None) -> Item:
    """A template's raw item: the answer is rendered from ``steps`` and ``final`` later."""
    item: Item = dict(question=question, steps=steps, final=final, discipline=path,
                      difficulty=difficulty, grade=grade)
    if key is not None:
        item["key"] = key  # fact templates: one item per fact
    return item


_SHOPS = ["the school shop", "a farmers' market stall", "the corner bakery", "a museum gift shop",
          "the campus bookstore", "a hardware store", "the train station kiosk", "a garden center",
          "the stationery store", "a street fair booth", "the cinema snack bar", "a sports shop"]
_GOODS = [("pencils", 0.75), ("notebooks", 2.5), ("stickers", 1.25), ("juice boxes", 1.5),
          ("trading cards", 3.0), ("markers", 1.8), ("bus tickets", 2.75), ("apples", 0.6),
          ("bagels", 1.35), ("postcards", 0.9), ("seed packets", 2.2), ("tennis balls", 1.95),
          ("keychains", 3.4), ("muffins", 2.15), ("erasers", 0.45), ("paint brushes", 4.1),
          ("bottles of water", 1.1), ("croissants", 2.6), ("light bulbs", 3.75), ("pretzels", 1.65)]


def _arith_change(r: random.Random) -> Item:
    name, shop = r.choice(_NAMES), r.choice(_SHOPS)
    (item, price), (item2, price2) = r.sample(_GOODS, 2)
    n, n2 = r.randint(2, 12), r.randint(0, 5)
    total = n * price + n2 * price2
    bill = next(b for b in (5, 10, 20, 50, 100) if b >= total)
    extra = f" and {n2} {item2} at ${price2:.2f} each" if n2 else ""
    q = r.choice([
        f"At {shop}, {name} buys {n} {item} at ${price:.2f} each{extra}, paying with a ${bill} bill. How much change should {name} get?",
        f"{name} is at {shop} and picks up {n} {item} (${price:.2f} apiece){extra}. {name} hands over ${bill}. What change comes back?",
        f"{item.capitalize()} sell for ${price:.2f} each at {shop}. {name} takes {n} of them{extra} and pays ${bill}. Find the change.",
        f"With a ${bill} bill, {name} pays for {n} {item} priced ${price:.2f} each{extra} at {shop}. How much money is returned?",
    ])
    steps = [r.choice([f"Cost of the {item}: {n} × ${price:.2f} = ${n * price:.2f}.",
                       f"{n} {item} at ${price:.2f} come to ${n * price:.2f}."])]
    if n2:
        steps.append(f"The {item2} add {n2} × ${price2:.2f} = ${n2 * price2:.2f}, for a total of ${total:.2f}.")
    steps.append(r.choice([f"Change = ${bill} − ${total:.2f} = ${bill - total:.2f}.",
                           f"Subtracting from the ${bill} paid leaves ${bill - total:.2f}."]))
    return _qa(q, steps, f"${bill - total:.2f}", ["STEM", "Mathematics", "Arithmetic"],
               1 if not n2 else 2, f"grade {r.randint(3, 5)}")


_CONTAINERS = [("crate", "oranges"), ("carton", "eggs"), ("tray", "muffins"), ("shelf", "books"),
               ("jar", "marbles"), ("bag", "seedlings"), ("box", "crayons"), ("basket", "pears"),
               ("bin", "bolts"), ("pack", "batteries"), ("sleeve", "tennis balls"), ("bucket", "clams")]
_SETTINGS = ["for the school fair", "before the weekend market", "for a charity drive",
             "at the community garden", "for the class party", "at the family shop",
             "for a scout fundraiser", "after the harvest", "for the library sale",
             "at the recycling center"]


def _arith_groups(r: random.Random) -> Item:
    name, setting = r.choice(_NAMES), r.choice(_SETTINGS)
    box, things = r.choice(_CONTAINERS)
    per, boxes = r.randint(6, 36), r.randint(3, 15)
    total = per * boxes
    given = r.randint(1, total - 1)
    left = total - given
    q = r.choice([
        f"Each {box} holds {per} {things}. {name} fills {boxes} {box}s {setting}, then gives away {given} {things}. How many {things} are left?",
        f"{setting.capitalize()}, {name} packs {things} into {boxes} {box}s with {per} in each, then donates {given}. How many remain?",
        f"{name} has {boxes} full {box}s of {things}, {per} per {box}. After handing out {given} {setting}, how many {things} does {name} still have?",
    ])
    steps = [r.choice([f"Total {things}: {boxes} × {per} = {total}.",
                       f"{boxes} {box}s of {per} make {total} {things}."]),
             r.choice([f"After giving away {given}: {total} − {given} = {left}.",
                       f"Taking away {given} leaves {left}."])]
    return _qa(q, steps, f"{left} {things}", ["STEM", "Mathematics", "Arithmetic"],
               1 if total < 100 else 2, f"grade {r.randint(3, 6)}")


_PRODUCTS = ["jacket", "bicycle", "pair of headphones", "desk lamp", "backpack", "board game",
             "tennis racket", "blender", "winter coat", "camera", "skateboard", "coffee maker",
             "guitar", "pair of hiking boots", "tablet", "microwave", "office chair", "telescope"]


def _percent(r: random.Random) -> Item:
    product = r.choice(_PRODUCTS)
    price, off = r.randint(12, 480), r.choice([10, 15, 20, 25, 30, 35, 40, 50, 60])
    sale = price * (100 - off) / 100
    tax = r.choice([0, 0, 5, 6, 7, 8, 8.5, 10])
    q = r.choice([
        f"A {product} originally costs ${price}. It is on sale for {off}% off. What is the sale price?",
        f"During a clearance, a store takes {off}% off a {product} listed at ${price}. How much does it cost now?",
        f"What do you pay for a ${price} {product} after a {off}% discount?",
        f"{r.choice(_NAMES)} wants a {product} tagged ${price}. This week it is marked down {off}%. What is the new price?",
    ])
    steps = [r.choice([f"The discount is {off}% of ${price} = ${_num(price * off / 100)}.",
                       f"{off}% × ${price} = ${_num(price * off / 100)} off."]),
             r.choice([f"Sale price: ${price} − ${_num(price * off / 100)} = ${_num(sale)}.",
                       f"Equivalently, pay {100 - off}% of ${price}: {(100 - off) / 100:g} × {price} = ${_num(sale)}."])]
    final = f"${_num(sale)}"
    if tax:
        q += f" A {_num(tax)}% sales tax is then added; what is the total?"
        total = sale * (1 + tax / 100)
        steps.append(f"With {_num(tax)}% tax: ${_num(sale)} × {1 + tax / 100:g} ≈ ${total:.2f}.")
        final = f"${_num(sale)} before tax, ${total:.2f} with tax"
    return _qa(q, steps, final, ["STEM", "Mathematics", "Arithmetic"], 2 if not tax else 3,
               f"grade {r.randint(6, 7)}")


def _linear(r: random.Random) -> Item:
    x, a = r.randint(-15, 25), r.choice([2, 3, 4, 5, 6, 7, 8, 9, 11, 12])
    b = r.randint(-40, 40)
    c = a * x + b
    sign = "+" if b >= 0 else "−"
    eq = f"{a}x {sign} {abs(b)} = {c}"
    if r.random() < 0.3 and x > 0 and b > 0:
        obj = r.choice(["a number", "the number of stamps Ana owns", "a certain integer",
                        "the number of laps run on Monday", "a mystery number"])
        q = r.choice([f"{b} more than {a} times {obj} is {c}. What is it?",
                      f"If you multiply {obj} by {a} and add {b}, you get {c}. Find it."])
        steps = [f"Write the equation: {eq}."]
    else:
        q = r.choice([f"Solve for x: {eq}.", f"Find the value of x that satisfies {eq}.",
                      f"What is x if {eq}?", f"Determine x such that {eq}.",
                      f"Solve the linear equation {eq} and check your solution."])
        steps = []
    steps.append(f"{'Subtract' if b >= 0 else 'Add'} {abs(b)} {'from' if b >= 0 else 'to'} both sides: {a}x = {c - b}.")
    steps.append(r.choice([f"Divide both sides by {a}: x = {x}.", f"So x = {c - b} ÷ {a} = {x}."]))
    if r.random() < 0.5:
        steps.append(f"Check: {a} × {x} {sign} {abs(b)} = {c}. ✓")
    return _qa(q, steps, f"x = {x}", ["STEM", "Mathematics", "Algebra"], 2,
               f"grade {r.randint(7, 9)}")


def _poly(s: int, p: int) -> str:
    return "x²" + (f" + {s}x" if s > 0 else f" − {-s}x" if s < 0 else "") + \
        (f" + {p}" if p > 0 else f" − {-p}" if p < 0 else "")


def _quadratic(r: random.Random) -> Item:
    r1, r2 = sorted(r.sample(range(-12, 13), 2))
    s, p = -(r1 + r2), r1 * r2
    poly = _poly(s, p)
    q = r.choice([f"Find the roots of {poly} = 0.", f"Solve the quadratic equation {poly} = 0.",
                  f"For which values of x is {poly} equal to zero?",
                  f"Factor {poly} and use it to solve {poly} = 0.",
                  f"The parabola y = {poly} crosses the x-axis where? Find the x-intercepts."])
    factors = "".join(f"(x {'−' if root >= 0 else '+'} {abs(root)})" for root in (r1, r2))
    disc = s * s - 4 * p
    steps = [r.choice([f"Look for two numbers with product {p} and sum {-s}: they are {r1} and {r2}.",
                       f"The discriminant is {s}² − 4·{p} = {disc} = {math.isqrt(disc)}², so it factors."]),
             f"{poly} = {factors}.",
             f"Setting each factor to zero gives x = {r1} or x = {r2}."]
    return _qa(q, steps, f"x = {r1} or x = {r2}", ["STEM", "Mathematics", "Algebra"],
               3 if abs(p) < 50 else 4, f"grade {r.randint(9, 11)}")


_RIGHT_SETUPS = [
    "A right triangle has legs of {a} {u} and {b} {u}. How long is the hypotenuse?",
    "A ladder's foot stands {a} {u} from a wall and it reaches {b} {u} up the wall. How long is the ladder?",
    "A rectangular park is {a} {u} by {b} {u}. How long is the diagonal path across it?",
    "A ship sails {a} {u} east and then {b} {u} north. How far is it from its starting point?",
    "A TV screen is {a} {u} wide and {b} {u} tall. What is its diagonal?",
    "A ramp rises {a} {u} over a horizontal run of {b} {u}. How long is the ramp surface?",
    "A kite string is pegged {a} {u} from the point directly below the kite, which flies {b} {u} high. How much string is out?",
    "A drone flies {a} {u} south, then turns and flies {b} {u} west. How far is it from the launch point in a straight line?",
]


def _pythagoras(r: random.Random) -> Item:
    base = r.choice([(3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (20, 21, 29), (9, 40, 41),
                     (12, 35, 37), (11, 60, 61)])
    k = r.randint(1, 9)
    a, b, c = (k * v for v in base)
    if r.random() < 0.5:
        a, b = b, a
    unit = r.choice(["cm", "m", "inches", "ft", "km", "yards"])
    q = r.choice(_RIGHT_SETUPS).format(a=a, b=b, u=unit)
    steps = [r.choice(["The two distances are perpendicular, so they are the legs of a right triangle.",
                       "Use the Pythagorean theorem, c² = a² + b²."]),
             f"c² = {a}² + {b}² = {a * a} + {b * b} = {c * c}.",
             f"c = √{c * c} = {c} {unit}."]
    return _qa(q, steps, f"{c} {unit}", ["STEM", "Mathematics", "Geometry"], 2,
               f"grade {r.randint(8, 9)}")


_ROUND_THINGS = ["circular track", "round table", "pizza", "circular pond", "bicycle wheel",
                 "round garden bed", "coin", "circular rug", "water tank lid", "clock face",
                 "roundabout", "trampoline"]


def _circle(r: random.Random) -> Item:
    rad = r.randint(2, 60)
    unit = r.choice(["cm", "m", "mm", "inches", "ft"])
    thing = r.choice(_ROUND_THINGS)
    given_d = r.random() < 0.4
    size = f"a diameter of {2 * rad} {unit}" if given_d else f"a radius of {rad} {unit}"
    first = [f"The radius is half the diameter: {2 * rad} ÷ 2 = {rad} {unit}."] if given_d else []
    what = r.randrange(3)
    if what == 0:
        q = r.choice([f"A {thing} has {size}. What is its area? Give it in terms of π and as a decimal.",
                      f"Find the area covered by a {thing} with {size}."])
        steps = [*first, f"A = πr² = π × {rad}² = {rad * rad}π {unit}².",
                         f"Numerically, A ≈ {_num(math.pi * rad * rad)} {unit}²."]
        final = f"{rad * rad}π ≈ {_num(math.pi * rad * rad)} {unit}²"
    elif what == 1:
        q = r.choice([f"A {thing} has {size}. What is its circumference?",
                      f"How far is it once around the edge of a {thing} with {size}?"])
        steps = [*first, f"C = 2πr = 2π × {rad} = {2 * rad}π {unit}.",
                         f"C ≈ {_num(2 * math.pi * rad)} {unit}."]
        final = f"{_num(2 * math.pi * rad)} {unit}"
    else:
        angle = r.choice([30, 45, 60, 72, 90, 120, 135, 150])
        q = f"A {thing} with {size} is cut into a sector with a central angle of {angle}°. What is the sector's area?"
        area = math.pi * rad * rad * angle / 360
        steps = [*first, f"The sector is {angle}/360 = {Fraction(angle, 360)} of the circle.",
                         f"Area = {Fraction(angle, 360)} × π × {rad}² ≈ {_num(area)} {unit}²."]
        final = f"≈ {_num(area)} {unit}²"
    return _qa(q, steps, final, ["STEM", "Mathematics", "Geometry"], 1 if what < 2 else 2,
               f"grade {r.randint(6, 8)}")


_DATASETS = [("quiz scores", "points", 4, 20), ("daily high temperatures in April", "°C", 8, 27),
             ("minutes spent reading each evening", "minutes", 10, 75),
             ("goals scored per match this season", "goals", 0, 6),
             ("heights of the seedlings after two weeks", "cm", 3, 19),
             ("numbers of customers per hour at a café", "customers", 5, 48),
             ("test marks out of 100", "marks", 41, 99), ("weekly allowances", "dollars", 5, 25),
             ("times for the 100 m sprint, rounded", "seconds", 12, 19),
             ("rainfall totals by month", "mm", 12, 140), ("books read by club members", "books", 1, 14),
             ("step counts in thousands", "thousand steps", 3, 16)]


def _statistics(r: random.Random) -> Item:
    label, unit, lo, hi = r.choice(_DATASETS)
    values = [r.randint(lo, hi) for _ in range(r.randint(5, 9))]
    ordered = sorted(values)
    n = len(values)
    mean = sum(values) / n
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    who = r.choice(["A teacher", "A coach", "A student", "A researcher", "A club secretary",
                    r.choice(_NAMES)])
    data = ", ".join(map(str, values))
    q = r.choice([f"{who} recorded these {label}: {data}. Find the mean and the median.",
                  f"Here are {n} {label}: {data}. What are the mean, median and range?",
                  f"Compute the average and the median of the following {label}: {data}."])
    steps = [f"Sum: {' + '.join(map(str, values))} = {sum(values)}.",
             f"Mean = {sum(values)} ÷ {n} ≈ {_num(mean)} {unit}.",
             f"Sorted: {', '.join(map(str, ordered))}; the median is {_num(median)} {unit}."]
    if "range" in q:
        steps.append(f"Range = {ordered[-1]} − {ordered[0]} = {ordered[-1] - ordered[0]}.")
    return _qa(q, steps, f"mean ≈ {_num(mean)}, median = {_num(median)}",
               ["STEM", "Mathematics", "Statistics"], 2, f"grade {r.randint(6, 8)}")


_COLORS = ["red", "blue", "green", "yellow", "white", "black", "purple", "orange"]
_CONTAINS = [("bag", "marbles"), ("jar", "jelly beans"), ("box", "pens"), ("bowl", "candies"),
             ("drawer", "socks"), ("sack", "balls"), ("tin", "buttons"), ("basket", "yarn balls")]


def _probability(r: random.Random) -> Item:
    holder, things = r.choice(_CONTAINS)
    c1, c2, c3 = r.sample(_COLORS, 3)
    n1, n2, n3 = r.randint(1, 12), r.randint(1, 12), r.randint(0, 9)
    total = n1 + n2 + n3
    mix = f"{n1} {c1}, {n2} {c2}" + (f" and {n3} {c3}" if n3 else "")
    if r.random() < 0.5:
        q = r.choice([f"A {holder} contains {mix} {things}. One is drawn at random. What is the probability that it is {c1}?",
                      f"{r.choice(_NAMES)} reaches into a {holder} holding {mix} {things} and takes one without looking. How likely is a {c1} one?"])
        p = Fraction(n1, total)
        steps = [f"There are {total} {things} in all, {n1} of them {c1}.",
                 f"P({c1}) = {n1}/{total}" + (f" = {p}" if p.denominator != total else "") + f" ≈ {float(p):.3f}."]
        return _qa(q, steps, str(p), ["STEM", "Mathematics", "Probability"], 2,
                   f"grade {r.randint(7, 9)}")
    if n1 < 2:
        n1 += 2
        total += 2
        mix = f"{n1} {c1}, {n2} {c2}" + (f" and {n3} {c3}" if n3 else "")
    q = (f"A {holder} holds {mix} {things}. Two are drawn without replacement. "
         f"What is the probability that both are {c1}?")
    p = Fraction(n1 * (n1 - 1), total * (total - 1))
    steps = [f"First draw: {n1}/{total}. Second draw, one {c1} gone: {n1 - 1}/{total - 1}.",
             f"P = {n1}/{total} × {n1 - 1}/{total - 1} = {p} ≈ {float(p):.3f}."]
    return _qa(q, steps, str(p), ["STEM", "Mathematics", "Probability"], 3, "grade 10")


_TICKETS = [("adult", "child", "tickets to a play"), ("large", "small", "pizzas for a party"),
            ("hardcover", "paperback", "books at a fair"), ("premium", "standard", "seats at a concert"),
            ("student", "senior", "museum passes"), ("long", "short", "bus rides on a transit card"),
            ("red", "white", "roses for a wedding"), ("full-day", "half-day", "bike rentals")]


def _system(r: random.Random) -> Item:
    big, small, what = r.choice(_TICKETS)
    pa, pb = r.randint(6, 30), r.randint(2, 15)
    if pa == pb:
        pa += 3
    x, y = r.randint(3, 60), r.randint(3, 60)
    n, cost = x + y, pa * x + pb * y
    q = r.choice([f"A group bought {n} {what}: {big} ones cost ${pa} and {small} ones ${pb}. They paid ${cost} in total. How many of each did they buy?",
                  f"{r.choice(_NAMES)} spent ${cost} on {n} {what}. {big.capitalize()} ones cost ${pa} each and {small} ones ${pb} each. How many {big} ones were there?"])
    steps = [f"Let a be the number of {big} and b the number of {small}: a + b = {n} and {pa}a + {pb}b = {cost}.",
             f"Substitute b = {n} − a: {pa}a + {pb}({n} − a) = {cost}, so {pa - pb}a = {cost - pb * n}.",
             f"a = {x} and b = {n} − {x} = {y}."]
    return _qa(q, steps, f"{x} {big} and {y} {small}", ["STEM", "Mathematics", "Algebra"], 3,
               f"grade {r.randint(8, 10)}")


_TRIPS = [("drives", "km", "km/h", 40, 110), ("cycles", "km", "km/h", 12, 30),
          ("walks", "km", "km/h", 3, 6), ("sails", "nautical miles", "knots", 5, 20),
          ("flies", "km", "km/h", 500, 900), ("runs", "km", "km/h", 8, 16),
          ("rides the train", "miles", "mph", 50, 120), ("paddles a kayak", "km", "km/h", 4, 9)]
_PLACES = ["the lake", "a family farm", "the next town", "the coast", "a trailhead",
           "the stadium", "the airport", "a mountain hut", "the harbor", "the university campus"]


def _rate(r: random.Random) -> Item:
    name, place = r.choice(_NAMES), r.choice(_PLACES)
    verb, dist_u, speed_u, lo, hi = r.choice(_TRIPS)
    speed, hours = r.randint(lo, hi), r.choice([0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6])
    dist = speed * hours
    span = f"{_num(hours)} hour{'' if hours == 1 else 's'}"
    kind = r.randrange(3)
    if kind == 0:
        q = f"{name} {verb} to {place} at an average {speed} {speed_u} for {_num(hours)} h. How far is it?"
        steps = [f"distance = speed × time = {speed} × {_num(hours)} = {_num(dist)} {dist_u}."]
        final = f"{_num(dist)} {dist_u}"
    elif kind == 1:
        q = f"{name} {verb} {_num(dist)} {dist_u} to {place} in {span}. What is the average speed?"
        steps = [f"speed = distance ÷ time = {_num(dist)} ÷ {_num(hours)} = {speed} {speed_u}."]
        final = f"{speed} {speed_u}"
    else:
        q = f"How long does it take {name}, who {verb} at {speed} {speed_u}, to cover the {_num(dist)} {dist_u} to {place}?"
        steps = [f"time = distance ÷ speed = {_num(dist)} ÷ {speed} = {_num(hours)} h.",
                 f"That is {int(hours * 60)} minutes."]
        final = span
    return _qa(q, steps, final, ["STEM", "Mathematics", "Arithmetic"], 1, f"grade {r.randint(5, 7)}")


def _interest(r: random.Random) -> Item:
    principal = r.choice([500, 800, 1000, 1200, 1500, 2000, 2500, 3000, 5000, 7500, 10000])
    rate, years = r.choice([1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7]), r.randint(2, 10)
    who = r.choice(_NAMES)
    why = r.choice(["for college", "for a car", "from a summer job", "from a gift",
                    "for a trip", "as an emergency fund", "from selling artwork"])
    if r.random() < 0.5:
        interest = principal * rate / 100 * years
        q = f"{who} deposits ${principal:,} saved {why} at {_num(rate)}% simple interest per year. How much interest is earned after {years} years?"
        steps = [f"I = P × r × t = {principal} × {rate / 100:g} × {years}.",
                 f"I = ${_num(interest)}; the balance is then ${_num(principal + interest)}."]
        final = _money(interest)
        d = 2
    else:
        amount = principal * (1 + rate / 100) ** years
        q = f"{who} invests ${principal:,} saved {why} at {_num(rate)}% interest compounded yearly. What is it worth after {years} years?"
        steps = [f"A = P(1 + r)^t = {principal} × {1 + rate / 100:g}^{years}.",
                 f"{1 + rate / 100:g}^{years} ≈ {(1 + rate / 100) ** years:.4f}, so A ≈ {_money(amount)}."]
        final = _money(amount)
        d = 3
    return _qa(q, steps, final, ["Social Science", "Economics", "Personal Finance"], d,
               f"grade {r.randint(8, 11)}")


_BOXES = ["shipping box", "fish tank", "sandbox", "storage bin", "swimming pool",
          "raised garden bed", "cereal box", "brick"]
_CYLS = ["water tank", "soup can", "paint bucket", "grain silo", "candle", "drinking glass",
         "oil drum", "rain barrel"]


def _volume(r: random.Random) -> Item:
    unit = r.choice(["cm", "m", "in", "ft"])
    if r.random() < 0.5:
        thing = r.choice(_BOXES)
        length, w, h = r.randint(2, 40), r.randint(2, 30), r.randint(1, 25)
        q = r.choice([f"A {thing} measures {length} {unit} by {w} {unit} by {h} {unit}. What is its volume?",
                      f"What volume does a {thing} {length} {unit} long, {w} {unit} wide and {h} {unit} deep hold?"])
        steps = [f"V = length × width × height = {length} × {w} × {h}.", f"V = {length * w * h} {unit}³."]
        if r.random() < 0.5:
            steps.append(f"Its surface area is 2({length}·{w} + {length}·{h} + {w}·{h}) = {2 * (length * w + length * h + w * h)} {unit}².")
        return _qa(q, steps, f"{length * w * h} {unit}³", ["STEM", "Mathematics", "Geometry"], 2,
                   f"grade {r.randint(6, 8)}")
    thing = r.choice(_CYLS)
    rad, h = r.randint(1, 20), r.randint(2, 40)
    q = r.choice([f"A {thing} is a cylinder with radius {rad} {unit} and height {h} {unit}. Find its volume.",
                  f"How much does a cylindrical {thing} hold if it is {h} {unit} tall with a {2 * rad} {unit} diameter?"])
    vol = math.pi * rad * rad * h
    steps = [f"V = πr²h = π × {rad}² × {h} = {rad * rad * h}π.", f"V ≈ {_num(vol)} {unit}³."]
    return _qa(q, steps, f"≈ {_num(vol)} {unit}³", ["STEM", "Mathematics", "Geometry"], 3,
               f"grade {r.randint(8, 10)}")


_FRACTION_USES = ["of a pizza", "of a cup of flour", "of the garden", "of a tank of fuel",
                  "of the class", "of a mile", "of the budget", "of a chocolate bar",
                  "of the playlist", "of a roll of ribbon"]


def _fractions(r: random.Random) -> Item:
    a, b = Fraction(r.randint(1, 7), r.randint(2, 9)), Fraction(r.randint(1, 7), r.randint(2, 12))
    use, name = r.choice(_FRACTION_USES), r.choice(_NAMES)
    if r.random() < 0.5:
        res = a + b
        q = r.choice([f"{name} uses {a} {use} on Monday and {b} on Tuesday. How much is used in total?",
                      f"Add {a} and {b} and simplify."])
        op = "+"
    else:
        a, b = max(a, b), min(a, b)
        res = a - b
        q = r.choice([f"{name} had {a} {use} and gave away {b}. How much is left?",
                      f"Compute {a} − {b} in lowest terms."])
        op = "−"
    lcd = a.denominator * b.denominator // math.gcd(a.denominator, b.denominator)
    steps = [f"The least common denominator of {a.denominator} and {b.denominator} is {lcd}.",
             f"{a} = {a.numerator * lcd // a.denominator}/{lcd} and {b} = {b.numerator * lcd // b.denominator}/{lcd}.",
             f"{a.numerator * lcd // a.denominator}/{lcd} {op} {b.numerator * lcd // b.denominator}/{lcd} = {res} in lowest terms."]
    return _qa(q, steps, str(res), ["STEM", "Mathematics", "Arithmetic"], 2, f"grade {r.randint(4, 6)}")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_ROWS = [("a theater", "seats"), ("a stadium section", "seats"), ("a pyramid of cans", "cans"),
         ("a brick wall pattern", "bricks"), ("an orchard", "trees"), ("a lecture hall", "chairs")]


def _sequence(r: random.Random) -> Item:
    d, n = r.choice([-7, -5, -3, -2, 2, 3, 4, 5, 6, 8, 9, 11]), r.randint(8, 60)
    if r.random() < 0.4:
        place, things = r.choice(_ROWS)
        d, a1 = abs(d), r.randint(8, 30)
        q = (f"In {place}, row 1 has {a1} {things} and each row has {d} more than the row "
             f"before it. How many {things} are in row {n}, and how many in the first {n} rows altogether?")
    else:
        a1 = r.randint(-20, 30)
        first = ", ".join(str(a1 + i * d) for i in range(4))
        q = (f"The arithmetic sequence {first}, … continues. Find its {_ordinal(n)} term and "
             f"the sum of its first {n} terms.")
    an = a1 + (n - 1) * d
    s = n * (a1 + an) // 2
    steps = [f"Common difference d = {d}, first term a₁ = {a1}.",
             f"aₙ = a₁ + (n − 1)d = {a1} + {n - 1} × {d} = {an}.",
             f"Sₙ = n(a₁ + aₙ)/2 = {n} × ({a1} + {an}) / 2 = {s}."]
    return _qa(q, steps, f"a_{n} = {an}, S_{n} = {s}", ["STEM", "Mathematics", "Algebra"], 3,
               f"grade {r.randint(10, 12)}")


def _derivative(r: random.Random) -> Item:
    coeffs = [r.randint(-9, 9) for _ in range(r.randint(3, 5))]
    coeffs[0] = coeffs[0] or 2
    deg = len(coeffs) - 1
    terms = [(c, deg - i) for i, c in enumerate(coeffs) if c]

    def show(ts: list[tuple[int, int]]) -> str:
        out = ""
        for c, e in ts:
            body = ("" if abs(c) == 1 and e else str(abs(c))) + ("x" if e else "") + (f"^{e}" if e > 1 else "")
            out += (" − " if c < 0 else " + ") + body if out else ("−" if c < 0 else "") + body
        return out or "0"

    dterms = [(c * e, e - 1) for c, e in terms if e]
    x0 = r.randint(-3, 4)
    slope = sum(c * x0 ** e for c, e in dterms)
    f = show(terms)
    q = r.choice([f"Differentiate f(x) = {f} and find the slope of the tangent at x = {x0}.",
                  f"What is f′({x0}) for f(x) = {f}?",
                  f"Find the derivative of {f}, then evaluate it at x = {x0}."])
    steps = ["Apply the power rule term by term: d/dx(axⁿ) = n·a·xⁿ⁻¹.",
             f"f′(x) = {show(dterms)}.",
             f"f′({x0}) = {slope}."]
    return _qa(q, steps, f"f′({x0}) = {slope}", ["STEM", "Mathematics", "Calculus"], 4,
               r.choice(["grade 12", "undergraduate"]))


_VEHICLES = ["car", "cyclist", "train", "scooter", "sprinter", "motorbike", "bus", "skier",
             "delivery van", "electric cart"]
_DROPPED = ["ball", "stone", "wrench", "pear", "coin", "water balloon", "pine cone", "key ring"]
_HEIGHTS = ["a bridge", "a balcony", "a cliff edge", "the top of a tower", "a hot-air balloon",
            "a rooftop", "a tree branch", "a lab ceiling rig"]
_MOVERS = {0.5: "football", 2: "brick", 5: "bowling ball", 10: "sled", 70: "runner",
           1200: "car", 1500: "van", 0.16: "hockey puck", 80: "cyclist with bike"}


def _kinematics(r: random.Random) -> Item:
    kind = r.randrange(3)
    if kind == 0:
        v0, v, t = r.choice([0, 0, 2, 4, 5, 10]), r.randint(12, 40), r.randint(2, 12)
        vehicle = r.choice(_VEHICLES)
        start = "from rest" if v0 == 0 else f"from {v0} m/s"
        q = r.choice([f"A {vehicle} accelerates uniformly {start} to {v} m/s in {t} s. What is its acceleration, and how far does it travel meanwhile?",
                      f"Starting {start}, a {vehicle} reaches {v} m/s after {t} seconds of steady acceleration. Find the acceleration and the distance covered."])
        a = (v - v0) / t
        steps = [f"a = (v − v₀)/t = ({v} − {v0}) / {t} = {_num(a)} m/s².",
                 f"Distance = (v₀ + v)/2 × t = ({v0} + {v}) / 2 × {t} = {_num((v0 + v) / 2 * t)} m."]
        return _qa(q, steps, f"{_num(a)} m/s², {_num((v0 + v) / 2 * t)} m",
                   ["STEM", "Physics", "Mechanics"], 2, f"grade {r.randint(9, 12)}")
    if kind == 1:
        h = r.choice([5, 10, 20, 45, 80, 125, 180, 12, 30, 60, 7, 24, 35, 50])
        obj, high = r.choice(_DROPPED), r.choice(_HEIGHTS)
        q = r.choice([f"A {obj} is dropped from {high}, {h} m above the ground. Ignoring air resistance, how long does it fall and how fast is it going at impact? (g = 9.8 m/s²)",
                      f"From {high} {h} m up, someone lets go of a {obj}. Neglecting drag, find the fall time and the impact speed (use g = 9.8 m/s²)."])
        t = math.sqrt(2 * h / 9.8)
        steps = [f"From h = ½gt²: t = √(2h/g) = √(2 × {h} / 9.8) ≈ {t:.2f} s.",
                 f"v = gt ≈ 9.8 × {t:.2f} ≈ {9.8 * t:.1f} m/s."]
        return _qa(q, steps, f"{t:.2f} s, {9.8 * t:.1f} m/s", ["STEM", "Physics", "Mechanics"],
                   3, f"grade {r.randint(9, 12)}")
    m = r.choice(list(_MOVERS))
    v = r.randint(2, 30)
    q = r.choice([f"What is the kinetic energy of a {_num(m)} kg {_MOVERS[m]} moving at {v} m/s?",
                  f"A {_MOVERS[m]} of mass {_num(m)} kg travels at {v} m/s. Find its kinetic energy and its momentum."])
    steps = [f"KE = ½mv² = ½ × {_num(m)} × {v}² = {_num(0.5 * m * v * v)} J."]
    if "momentum" in q:
        steps.append(f"p = mv = {_num(m)} × {v} = {_num(m * v)} kg·m/s.")
    return _qa(q, steps, f"{_num(0.5 * m * v * v)} J", ["STEM", "Physics", "Mechanics"], 2,
               f"grade {r.randint(9, 12)}")


_MEDIA = [("water", 1.33), ("crown glass", 1.52), ("diamond", 2.42), ("acrylic", 1.49),
          ("ice", 1.31), ("fused quartz", 1.46), ("olive oil", 1.47), ("sapphire", 1.77),
          ("ethanol", 1.36), ("flint glass", 1.62), ("glycerol", 1.47), ("polycarbonate", 1.59),
          ("cubic zirconia", 2.15), ("seawater", 1.34)]
_LIGHTS = ["A ray of light", "A laser beam", "A narrow beam of sunlight", "A red laser pointer's beam",
           "Light from a lamp", "A green laser beam"]
_LENS_OBJECTS = ["candle", "small arrow", "LED", "toy figure", "printed letter", "pencil",
                 "chess piece", "matchstick", "flower", "key"]


def _optics(r: random.Random) -> Item:
    kind = r.randrange(3)
    path = ["STEM", "Physics", "Optics"]
    grade = r.choice(["grade 11", "grade 12", "undergraduate"])
    if kind == 0:
        medium, n = r.choice(_MEDIA)
        theta = r.randint(10, 80)
        light = r.choice(_LIGHTS)
        sin2 = math.sin(math.radians(theta)) / n
        out = math.degrees(math.asin(sin2))
        q = r.choice([f"{light} passes from air into {medium} (n = {n}) at an angle of incidence of {theta}°. What is the angle of refraction?",
                      f"{light} in air strikes a flat {medium} surface (n = {n}) {theta}° from the normal. At what angle does it travel inside?",
                      f"At what angle to the normal does {light.lower()} travel in {medium} (n = {n}) if it arrives from air at {theta}°?"])
        steps = [r.choice(["Snell's law: n₁ sin θ₁ = n₂ sin θ₂, with n₁ ≈ 1.00 for air.",
                           f"Apply Snell's law at the air–{medium} boundary."]),
                 r.choice([f"sin θ₂ = sin {theta}° / {n} = {math.sin(math.radians(theta)):.3f} / {n} = {sin2:.3f}.",
                           f"sin θ₂ = (1.00 × sin {theta}°) / {n} ≈ {sin2:.3f}."]),
                 f"θ₂ = arcsin({sin2:.3f}) ≈ {out:.1f}°."]
        if r.random() < 0.5:
            steps.append(r.choice([f"The ray bends toward the normal because {medium} is optically denser than air.",
                                   f"Inside, light slows to c/n ≈ {3 / n:.2f} × 10⁸ m/s."]))
        return _qa(q, steps, f"≈ {out:.1f}°", path, 3, grade)
    if kind == 1:
        medium, n = r.choice(_MEDIA)
        crit = math.degrees(math.asin(1 / n))
        q = r.choice([f"What is the critical angle for light going from {medium} (n = {n}) into air?",
                      f"Light travels inside a block of {medium} (n = {n}) toward the air boundary. Above what angle of incidence is it totally internally reflected?"])
        steps = [r.choice(["Total internal reflection starts when the refracted angle reaches 90°.",
                           "At the critical angle, n sin θc = 1 × sin 90°."]),
                 f"sin θc = 1/{n} = {1 / n:.3f}, so θc ≈ {crit:.1f}°."]
        return _qa(q, steps, f"≈ {crit:.1f}°", path, 3, grade)
    f = r.randint(5, 40)
    do = f + r.randint(2, 60)
    di = 1 / (1 / f - 1 / do)
    obj, height = r.choice(_LENS_OBJECTS), r.randint(1, 12)
    q = r.choice([f"A {height} cm tall {obj} is placed {do} cm from a converging lens with a focal length of {f} cm. Where is the image, how tall is it, and is it real or virtual?",
                  f"A thin convex lens (f = {f} cm) forms an image of a {obj}, {height} cm high, standing {do} cm away. Find the image distance, magnification and image height."])
    m = -di / do
    steps = [r.choice([f"Thin-lens equation: 1/dᵢ = 1/f − 1/dₒ = 1/{f} − 1/{do}.",
                       f"From 1/f = 1/dₒ + 1/dᵢ: 1/dᵢ = 1/{f} − 1/{do} = {1 / f - 1 / do:.4f} cm⁻¹."]),
             f"dᵢ ≈ {di:.1f} cm, on the far side of the lens.",
             f"m = −dᵢ/dₒ ≈ {m:.2f}, so the image is {abs(m) * height:.1f} cm tall, real and inverted."]
    return _qa(q, steps, f"{di:.1f} cm, {abs(m) * height:.1f} cm tall, real and inverted", path, 4, grade)


def _electricity(r: random.Random) -> Item:
    volt = r.choice([1.5, 3, 4.5, 6, 9, 12, 24, 5, 18])
    device = r.choice(["battery", "bench power supply", "solar panel", "USB adapter", "car battery"])
    kind = r.randrange(3)
    if kind < 2:
        res = r.choice([2, 4, 5, 8, 10, 12, 20, 47, 100, 220, 330, 15, 68, 150])
        if kind == 0:
            q = f"A {res} Ω resistor is connected across a {_num(volt)} V {device}. What current flows through it?"
            steps = [f"Ohm's law: I = V / R = {_num(volt)} / {res} = {volt / res:.3g} A."]
            final = f"{volt / res:.3g} A"
        else:
            q = f"How much power does a {res} Ω resistor dissipate when connected to a {_num(volt)} V {device}?"
            steps = [f"P = V² / R = {_num(volt)}² / {res} = {volt * volt / res:.3g} W."]
            final = f"{volt * volt / res:.3g} W"
        if r.random() < 0.5:
            steps.append(f"In one minute that is {volt * volt / res * 60:.3g} J of energy.")
        return _qa(q, steps, final, ["STEM", "Physics", "Electricity"], 2, f"grade {r.randint(9, 12)}")
    r1, r2 = r.sample([4, 6, 10, 12, 15, 20, 30, 40, 60], 2)
    series = r.random() < 0.5
    how = "in series" if series else "in parallel"
    total = r1 + r2 if series else r1 * r2 / (r1 + r2)
    q = f"Resistors of {r1} Ω and {r2} Ω are connected {how} to a {_num(volt)} V {device}. Find the equivalent resistance and the total current."
    steps = [f"R = {r1} + {r2} = {total:g} Ω." if series else
             f"1/R = 1/{r1} + 1/{r2}, so R = {r1}·{r2}/({r1} + {r2}) = {total:.3g} Ω.",
             f"I = V/R = {_num(volt)} / {total:.3g} ≈ {volt / total:.3g} A."]
    return _qa(q, steps, f"{total:.3g} Ω, {volt / total:.3g} A", ["STEM", "Physics", "Electricity"],
               3, f"grade {r.randint(10, 12)}")


_MATERIALS = [("water", 4186), ("aluminium", 900), ("copper", 385), ("iron", 450),
              ("olive oil", 1970), ("granite", 790), ("glass", 840), ("ice", 2100)]
_SOLIDS = [("aluminium", 2.7), ("iron", 7.87), ("copper", 8.96), ("oak", 0.75), ("granite", 2.75),
           ("lead", 11.34), ("gold", 19.3), ("cork", 0.24), ("ice", 0.92)]


def _energy(r: random.Random) -> Item:
    kind = r.randrange(4)
    if kind == 0:
        mat, c = r.choice(_MATERIALS)
        m, t1 = r.choice([0.2, 0.5, 1, 1.5, 2, 3, 5]), r.randint(5, 30)
        t2 = t1 + r.randint(5, 70)
        heat = m * c * (t2 - t1)
        q = f"How much heat is needed to warm {_num(m)} kg of {mat} from {t1} °C to {t2} °C? (c = {c} J/(kg·°C))"
        steps = [f"Q = mcΔT with ΔT = {t2} − {t1} = {t2 - t1} °C.",
                 f"Q = {_num(m)} × {c} × {t2 - t1} = {heat:,.0f} J ≈ {heat / 1000:.1f} kJ."]
        return _qa(q, steps, f"{heat / 1000:.1f} kJ", ["STEM", "Physics", "Thermodynamics"], 2,
                   f"grade {r.randint(9, 11)}")
    if kind == 1:
        mat, rho = r.choice(_SOLIDS)
        a, b, c = r.randint(2, 12), r.randint(2, 12), r.randint(1, 10)
        mass = rho * a * b * c
        q = f"A block of {mat} (density {rho} g/cm³) measures {a} cm × {b} cm × {c} cm. What is its mass? Will it float in water?"
        steps = [f"Volume = {a} × {b} × {c} = {a * b * c} cm³.",
                 f"m = ρV = {rho} × {a * b * c} = {mass:.1f} g.",
                 f"It {'floats' if rho < 1 else 'sinks'}: its density is {'less' if rho < 1 else 'more'} than water's 1 g/cm³."]
        return _qa(q, steps, f"{mass:.1f} g", ["STEM", "Physics", "Mechanics"], 2,
                   f"grade {r.randint(7, 9)}")
    if kind == 2:
        mass, h, t = r.choice([20, 35, 50, 60, 75, 120, 250]), r.randint(2, 30), r.randint(3, 40)
        who = r.choice(["A crane", "A climber", "An elevator motor", "A student", "A winch"])
        work = mass * 9.8 * h
        q = f"{who} lifts a {mass} kg load {h} m straight up in {t} s. How much work is done, and what is the average power?"
        steps = [f"W = mgh = {mass} × 9.8 × {h} = {work:,.0f} J.",
                 f"P = W/t = {work:,.0f} / {t} ≈ {work / t:,.1f} W."]
        return _qa(q, steps, f"{work:,.0f} J, {work / t:,.1f} W", ["STEM", "Physics", "Mechanics"],
                   2, f"grade {r.randint(9, 11)}")
    f = r.choice([50, 128, 256, 440, 512, 1000, 2000, 5, 12, 88])
    medium, v = r.choice([("air", 343), ("water", 1480), ("steel", 5960), ("a string", 120),
                          ("helium", 965)])
    q = r.choice([f"A wave of frequency {f} Hz travels through {medium} at {v} m/s. What is its wavelength and period?",
                  f"Find the wavelength of a {f} Hz wave moving at {v} m/s in {medium}, and its period."])
    steps = [f"λ = v/f = {v} / {f} ≈ {v / f:.3g} m.", f"T = 1/f = 1/{f} ≈ {1 / f:.3g} s."]
    return _qa(q, steps, f"λ ≈ {v / f:.3g} m, T ≈ {1 / f:.3g} s", ["STEM", "Physics", "Waves"], 2,
               f"grade {r.randint(10, 12)}")


_COMPOUNDS = [("water", "H₂O", 18.02), ("carbon dioxide", "CO₂", 44.01),
              ("sodium chloride", "NaCl", 58.44), ("glucose", "C₆H₁₂O₆", 180.16),
              ("ammonia", "NH₃", 17.03), ("methane", "CH₄", 16.04),
              ("calcium carbonate", "CaCO₃", 100.09), ("sulfuric acid", "H₂SO₄", 98.08),
              ("ethanol", "C₂H₅OH", 46.07), ("sodium hydroxide", "NaOH", 40.00),
              ("potassium chloride", "KCl", 74.55), ("magnesium oxide", "MgO", 40.30),
              ("nitric acid", "HNO₃", 63.01), ("sucrose", "C₁₂H₂₂O₁₁", 342.30)]


def _chemistry(r: random.Random) -> Item:
    kind = r.randrange(4)
    if kind == 0:
        name, formula, molar = r.choice(_COMPOUNDS)
        mass = r.choice([5, 9, 10, 25, 36, 50, 88, 100, 120, 250, 500, 12.5, 75, 3.6])
        q = r.choice([f"How many moles are in {_num(mass)} g of {name} ({formula})?",
                      f"Calculate the amount of substance in {_num(mass)} grams of {formula}.",
                      f"A sample of {name} has a mass of {_num(mass)} g. How many moles and molecules is that?"])
        n = mass / molar
        steps = [f"The molar mass of {formula} is {molar} g/mol.",
                 f"n = m / M = {_num(mass)} / {molar} ≈ {n:.3f} mol."]
        if "molecules" in q:
            steps.append(f"Molecules = n × 6.022 × 10²³ ≈ {n * 6.022:.3f} × 10²³.")
        return _qa(q, steps, f"{n:.3f} mol", ["STEM", "Chemistry", "Stoichiometry"], 2,
                   f"grade {r.randint(10, 12)}")
    if kind == 1:
        k = r.randint(1, 13)
        coef = r.choice([1, 2, 3, 5, 4, 6, 8])
        ph = k - math.log10(coef)
        conc = f"{coef} × 10⁻{k}" if coef != 1 else f"10⁻{k}"
        what = r.choice(["a solution", "a sample of rainwater", "a cleaning solution", "lake water",
                         "a buffer in the lab", "stomach fluid"])
        q = f"What is the pH of {what} whose hydrogen-ion concentration is {conc} M? Is it acidic or basic?"
        nature = "acidic" if ph < 7 else "basic" if ph > 7 else "neutral"
        steps = [f"pH = −log₁₀[H⁺] = −log₁₀({conc}) ≈ {ph:.2f}.",
                 f"pOH = 14 − {ph:.2f} = {14 - ph:.2f}, so it is {nature}."]
        return _qa(q, steps, f"pH ≈ {ph:.2f} ({nature})", ["STEM", "Chemistry", "Acids and Bases"],
                   3, f"grade {r.randint(10, 12)}")
    if kind == 2:
        name, formula, _ = r.choice(_COMPOUNDS)
        c1, v2 = r.choice([0.5, 1, 2, 3, 6, 12]), r.choice([100, 250, 500, 750, 1000])
        c2 = c1 * r.choice([0.1, 0.2, 0.25, 0.4, 0.5])
        v1 = c2 * v2 / c1
        q = f"How much of a {_num(c1)} M {name} stock solution is needed to make {v2} mL of {_num(c2)} M solution?"
        steps = ["Moles are conserved on dilution: C₁V₁ = C₂V₂.",
                 f"V₁ = C₂V₂ / C₁ = {_num(c2)} × {v2} / {_num(c1)} = {_num(v1)} mL.",
                 f"Dilute {_num(v1)} mL of stock with water to {v2} mL."]
        return _qa(q, steps, f"{_num(v1)} mL", ["STEM", "Chemistry", "Solutions"], 3,
                   f"grade {r.randint(11, 12)}")
    gas = r.choice(["nitrogen", "oxygen", "helium", "argon", "carbon dioxide", "hydrogen"])
    n, t = r.choice([0.5, 1, 1.5, 2, 2.5, 3, 4]), r.choice([273, 283, 298, 310, 350, 400, 450])
    vol = r.choice([5, 10, 12, 20, 22.4, 25, 40, 50])
    p = n * 8.314 * t / (vol / 1000)
    q = f"{_num(n)} mol of {gas} fills a {_num(vol)} L container at {t} K. What is the pressure, assuming ideal-gas behaviour?"
    steps = [f"PV = nRT, so P = nRT/V with V = {_num(vol)} L = {vol / 1000:g} m³.",
             f"P = {_num(n)} × 8.314 × {t} / {vol / 1000:g} ≈ {p / 1000:.1f} kPa."]
    return _qa(q, steps, f"≈ {p / 1000:.1f} kPa", ["STEM", "Chemistry", "Gases"], 3,
               f"grade {r.randint(11, 12)}")


_ORGANELLES = [
    ("mitochondrion", "producing ATP through cellular respiration", "its inner membrane folds into cristae that carry the electron transport chain"),
    ("ribosome", "synthesizing proteins from messenger RNA", "it reads codons and links amino acids with peptide bonds"),
    ("chloroplast", "carrying out photosynthesis", "its thylakoid membranes hold chlorophyll that captures light energy"),
    ("Golgi apparatus", "modifying, sorting and packaging proteins for secretion", "vesicles carry its products to the cell membrane or lysosomes"),
    ("lysosome", "breaking down waste and worn-out cell parts", "it contains hydrolytic enzymes that work best at acidic pH"),
    ("nucleus", "storing the cell's DNA and controlling gene expression", "its nuclear envelope has pores that let mRNA out"),
    ("rough endoplasmic reticulum", "making membrane and secreted proteins", "ribosomes on its surface feed new chains into its lumen"),
    ("smooth endoplasmic reticulum", "making lipids and detoxifying drugs", "it lacks ribosomes and is abundant in liver cells"),
    ("central vacuole", "storing water and keeping a plant cell turgid", "it can fill most of the volume of a mature plant cell"),
    ("cell membrane", "controlling what enters and leaves the cell", "its phospholipid bilayer is selectively permeable"),
    ("cell wall", "giving plant cells shape and mechanical support", "in plants it is built mainly from cellulose fibres"),
    ("centrosome", "organizing microtubules during cell division", "in animal cells it holds a pair of centrioles"),
    ("peroxisome", "breaking down fatty acids and hydrogen peroxide", "its enzyme catalase splits H₂O₂ into water and oxygen"),
    ("cytoskeleton", "maintaining cell shape and moving organelles", "it is a network of microfilaments, intermediate filaments and microtubules"),
]
# (organism, dominant, recessive, trait)
_TRAITS = [("pea plants", "purple", "white", "flower color"), ("pea plants", "tall", "short", "stem length"),
           ("pea plants", "round", "wrinkled", "seed shape"), ("pea plants", "yellow", "green", "seed color"),
           ("guinea pigs", "black", "white", "coat color"), ("fruit flies", "long", "vestigial", "wing shape"),
           ("tomato plants", "red", "yellow", "fruit color"), ("mice", "brown", "albino", "fur color"),
           ("rabbits", "short", "long", "fur length"), ("corn plants", "purple", "yellow", "kernel color"),
           ("dogs", "black", "brown", "coat color"), ("sunflowers", "branched", "unbranched", "stem form")]
_CROSSES = [("Aa × Aa", Fraction(1, 4), "1 AA : 2 Aa : 1 aa"), ("Aa × aa", Fraction(1, 2), "1 Aa : 1 aa"),
            ("AA × aa", Fraction(0), "all Aa"), ("AA × Aa", Fraction(0), "1 AA : 1 Aa"),
            ("aa × aa", Fraction(1), "all aa")]
_HW_TRAITS = ["cystic fibrosis carriers in a human population", "red coat color in a cattle herd",
              "albinism in a population of mice", "a recessive eye color in fruit flies",
              "white fur in a field-mouse population", "short tails in a cat colony",
              "a recessive flower color in a meadow of snapdragons", "attached earlobes in a town",
              "a recessive shell pattern in garden snails", "dwarfism in a plot of wheat"]


def _biology(r: random.Random) -> Item:
    kind = r.randrange(3)
    if kind == 0:
        org, role, detail = r.choice(_ORGANELLES)
        q = r.choice([f"What is the main function of the {org} in a eukaryotic cell?",
                      f"Describe the role of the {org}.", f"Why is the {org} important to a cell?",
                      f"Which cell structure is responsible for {role}?"])
        steps = [f"The {org} is responsible for {role}.", f"Structurally, {detail}."]
        return _qa(q, steps, f"the {org}: {role}", ["STEM", "Biology", "Cell Biology"],
                   r.choice([1, 2]), f"grade {r.randint(7, 10)}", key=f"organelle:{org}")
    if kind == 1:
        org, dom, rec, trait = r.choice(_TRAITS)
        cross, frac, ratio = r.choice(_CROSSES)
        offspring = r.randint(20, 800)
        who = r.choice(["A breeder", "A geneticist", "A student", "A farmer", r.choice(_NAMES)])
        q = r.choice([f"In {org}, {dom} {trait} (A) is dominant over {rec} (a). {who} crosses {cross} and gets {offspring} offspring. About how many show the {rec} phenotype?",
                      f"{who} studies {trait} in {org}: {dom} (A) is dominant, {rec} (a) recessive. Of {offspring} offspring from the cross {cross}, how many are expected to be {rec}?"])
        steps = [r.choice([f"Only aa individuals are {rec}.", f"The {rec} phenotype needs two recessive alleles (aa)."]),
                 f"A Punnett square for {cross} gives {ratio}, so P(aa) = {frac}.",
                 f"Expected {rec}: {frac} × {offspring} ≈ {round(frac * offspring)}."]
        return _qa(q, steps, f"about {round(frac * offspring)}", ["STEM", "Biology", "Genetics"], 3,
                   f"grade {r.randint(9, 11)}")
    q_rec = r.randint(5, 60) / 100
    trait = r.choice(_HW_TRAITS)
    pop = r.randint(5, 200) * 100
    qq = round(q_rec * q_rec, 4)
    q = r.choice([f"In a population of {pop:,} in Hardy–Weinberg equilibrium, {qq * 100:g}% show the recessive phenotype (studying {trait}). Estimate the allele frequencies and the number of heterozygotes.",
                  f"Researchers studying {trait} find that {qq * 100:g}% of {pop:,} individuals are homozygous recessive. Assuming Hardy–Weinberg equilibrium, how many are heterozygous?"])
    p = 1 - q_rec
    steps = [f"q² = {qq:g}, so q = √{qq:g} = {q_rec:.2f} and p = 1 − q = {p:.2f}.",
             f"Heterozygote frequency 2pq = 2 × {p:.2f} × {q_rec:.2f} = {2 * p * q_rec:.4f}.",
             f"Expected number: {2 * p * q_rec:.4f} × {pop:,} ≈ {round(2 * p * q_rec * pop):,}."]
    return _qa(q, steps, f"p = {p:.2f}, q = {q_rec:.2f}, ≈ {round(2 * p * q_rec * pop):,} heterozygotes",
               ["STEM", "Biology", "Genetics"], 4, r.choice(["grade 12", "undergraduate"]))


_EVENTS = [
    ("the Berlin Wall fall", 1989, "opening the border between East and West Berlin"),
    ("the French Revolution begin with the storming of the Bastille", 1789, "starting a decade of upheaval in France"),
    ("Columbus first reach the Americas", 1492, "landing in the Bahamas in October"),
    ("the Magna Carta get sealed", 1215, "limiting the power of King John of England"),
    ("World War I begin", 1914, "after the assassination of Archduke Franz Ferdinand"),
    ("World War II end", 1945, "with the surrender of Japan in September"),
    ("the United States declare independence", 1776, "adopting the Declaration on July 4"),
    ("Apollo 11 land on the Moon", 1969, "when Neil Armstrong and Buzz Aldrin walked on the surface"),
    ("the printing press of Gutenberg come into use in Mainz", 1450, "spreading printed books across Europe"),
    ("the Western Roman Empire fall", 476, "when Odoacer deposed Romulus Augustulus"),
    ("the Meiji Restoration begin", 1868, "returning power in Japan to the emperor"),
    ("India gain independence", 1947, "ending British rule on August 15"),
    ("the Russian Revolution take place", 1917, "bringing the Bolsheviks to power"),
    ("the Treaty of Westphalia get signed", 1648, "ending the Thirty Years' War"),
    ("the Suez Canal open", 1869, "linking the Mediterranean and the Red Sea"),
    ("Nelson Mandela become president of South Africa", 1994, "after the first multiracial elections"),
    ("the Battle of Hastings take place", 1066, "bringing William of Normandy to the English throne"),
    ("the Ottoman Empire capture Constantinople", 1453, "ending the Byzantine Empire"),
    ("the Wright brothers make their first powered flight", 1903, "at Kitty Hawk, North Carolina"),
    ("the European Union get its name under the Maastricht Treaty", 1993, "when the treaty entered into force"),
]


def _history(r: random.Random) -> Item:
    event, year, ctx = r.choice(_EVENTS)
    q = r.choice([f"In which year did {event}?", f"When did {event}? Give the year.",
                  f"What year did {event}, and what was its significance?"])
    steps = [f"It happened in {year}, {ctx}.",
             f"That places it in the {_ordinal(year // 100 + 1)} century."]
    return _qa(q, steps, str(year), ["Humanities", "History", "World History"], r.choice([1, 2]),
               r.choice(["grade 8", "grade 10", "high school"]), key=f"event:{year}")


_CAPITALS = [
    ("France", "Paris", "on the Seine", "法国", "巴黎"), ("Japan", "Tokyo", "on Honshu's east coast", "日本", "东京"),
    ("Kenya", "Nairobi", "in the central highlands", "肯尼亚", "内罗毕"),
    ("Brazil", "Brasília", "a planned city inaugurated in 1960", "巴西", "巴西利亚"),
    ("Australia", "Canberra", "chosen as a compromise between Sydney and Melbourne", "澳大利亚", "堪培拉"),
    ("Canada", "Ottawa", "on the Ottawa River", "加拿大", "渥太华"),
    ("Egypt", "Cairo", "near the Nile delta", "埃及", "开罗"), ("Peru", "Lima", "on the Pacific coast", "秘鲁", "利马"),
    ("Turkey", "Ankara", "in central Anatolia", "土耳其", "安卡拉"),
    ("Vietnam", "Hanoi", "on the Red River", "越南", "河内"),
    ("Norway", "Oslo", "at the head of the Oslofjord", "挪威", "奥斯陆"),
    ("Argentina", "Buenos Aires", "on the Río de la Plata", "阿根廷", "布宜诺斯艾利斯"),
    ("Nigeria", "Abuja", "which replaced Lagos in 1991", "尼日利亚", "阿布贾"),
    ("New Zealand", "Wellington", "at the south of the North Island", "新西兰", "惠灵顿"),
    ("Mongolia", "Ulaanbaatar", "the coldest national capital", "蒙古", "乌兰巴托"),
    ("Morocco", "Rabat", "on the Atlantic coast", "摩洛哥", "拉巴特"),
    ("Poland", "Warsaw", "on the Vistula", "波兰", "华沙"), ("Chile", "Santiago", "in a valley below the Andes", "智利", "圣地亚哥"),
]


def _geography(r: random.Random) -> Item:
    country, capital, ctx, _, _ = r.choice(_CAPITALS)
    q = r.choice([f"What is the capital of {country}?", f"Which city is the capital of {country}?",
                  f"Name the capital city of {country} and say where it lies."])
    steps = [f"The capital of {country} is {capital}, {ctx}."]
    return _qa(q, steps, capital, ["Social Science", "Geography", "Capitals"], 1,
               r.choice(["grade 5", "grade 6", "grade 7"]), key=f"capital:{country}")


_ALGORITHMS = [
    ("binary search on a sorted array", "O(log n)", "each comparison halves the remaining interval"),
    ("merge sort", "O(n log n)", "the array is halved log n times and each level merges n elements"),
    ("quicksort", "O(n²)", "a bad pivot, such as the minimum each time, leaves partitions of size n − 1"),
    ("breadth-first search on an adjacency list", "O(V + E)", "every vertex is enqueued once and every edge examined once"),
    ("inserting into a binary heap", "O(log n)", "the new key sifts up at most the height of the tree"),
    ("bubble sort", "O(n²)", "it may need n passes of up to n comparisons"),
    ("Dijkstra's algorithm with a binary heap", "O((V + E) log V)", "each edge relaxation can cost a heap update"),
    ("looking up a key in a balanced binary search tree", "O(log n)", "the tree height stays logarithmic"),
    ("insertion sort", "O(n²)", "a reversed input shifts every element past all earlier ones"),
    ("heapsort", "O(n log n)", "n extractions each cost a logarithmic sift-down"),
    ("a hash-table lookup", "O(n)", "in the worst case every key lands in the same bucket"),
    ("depth-first search on an adjacency matrix", "O(V²)", "each vertex scans a whole row of V entries"),
]


def _computer_science(r: random.Random) -> Item:
    kind = r.randrange(6)
    if kind == 0:
        alg, cost, why = r.choice(_ALGORITHMS)
        q = r.choice([f"What is the worst-case time complexity of {alg}?",
                      f"In big-O notation, how long does {alg} take in the worst case?",
                      f"Explain the worst-case running time of {alg}."])
        return _qa(q, [f"The worst case is {cost}.", f"Reason: {why}."], cost,
                   ["STEM", "Computer Science", "Algorithms"], 3, "undergraduate", key=f"alg:{alg}")
    if kind == 1:
        value = r.randint(5, 4000)
        base, name, fmt = r.choice([(2, "binary", "b"), (16, "hexadecimal", "X"), (8, "octal", "o")])
        q = r.choice([f"Convert the decimal number {value} to {name}.",
                      f"What is {value} written in base {base}?"])
        digits, v = [], value
        while v:
            digits.append(f"{v} ÷ {base} = {v // base} remainder {format(v % base, fmt)}")
            v //= base
        steps = ["Divide repeatedly by the base and read the remainders from last to first:",
                 "; ".join(digits) + ".", f"So {value} = {format(value, fmt)} in base {base}."]
        return _qa(q, steps, format(value, fmt), ["STEM", "Computer Science", "Number Systems"], 2,
                   r.choice(["grade 10", "undergraduate"]))
    if kind == 2:
        n = r.randint(4, 40)
        loops = r.choice([("for i in range(n):\n    for j in range(n):", n * n, "n²"),
                          ("for i in range(n):\n    for j in range(i):", n * (n - 1) // 2, "n(n − 1)/2"),
                          ("i = 1\nwhile i < n:\n    i *= 2", math.ceil(math.log2(n)), "⌈log₂ n⌉"),
                          ("for i in range(n):\n    for j in range(i, n):", n * (n + 1) // 2, "n(n + 1)/2")])
        body, count, formula = loops
        q = f"How many times does the innermost line run when n = {n}?\n```python\n{body}\n        count += 1\n```" \
            if "while" not in body else \
            f"How many times does the loop body run when n = {n}?\n```python\n{body}\n```"
        steps = [f"The count is {formula} for this loop structure.", f"With n = {n}: {count}."]
        return _qa(q, steps, str(count), ["STEM", "Computer Science", "Algorithms"], 3,
                   "undergraduate")
    if kind == 3:
        lo, hi = r.randint(0, 20), r.randint(21, 120)
        expr, val = f"sum(range({lo}, {hi}))", sum(range(lo, hi))
        why = f"it adds the integers {lo} through {hi - 1}: ({lo} + {hi - 1}) × {hi - lo} / 2 = {val}"
    elif kind == 4:
        n = r.randint(3, 30)
        expr, val = f"[x * x for x in range({n})][-1]", (n - 1) ** 2
        why = f"the list holds the squares of 0 … {n - 1}, and the last is {n - 1}² = {val}"
    else:
        x, y = r.randint(-99, 200), r.randint(2, 17)
        if r.random() < 0.5:
            expr, val = f"{x} // {y}", x // y
            why = f"floor division rounds {x}/{y} ≈ {x / y:.2f} down to {val}"
        else:
            expr, val = f"{x} % {y}", x % y
            why = f"{x} = {y} × {x // y} + {val}; Python's remainder takes the sign of the divisor"
    q = r.choice([f"What does the Python expression `{expr}` evaluate to?",
                  f"In Python 3, what is the value of `{expr}`?",
                  f"Predict the output of `print({expr})`."])
    return _qa(q, [f"It evaluates to {val}.", f"Why: {why}."], str(val),
               ["STEM", "Computer Science", "Programming"], 2, "undergraduate")


_GOODS_DEMAND = ["coffee", "movie tickets", "gasoline", "bread", "concert seats", "wool",
                 "electric scooters", "bus passes", "avocados", "smartphones", "gym memberships"]
_FIRMS = [("a bakery", "loaves"), ("a furniture workshop", "chairs"), ("a print shop", "posters"),
          ("a brewery", "cases"), ("a bike maker", "bicycles"), ("a candle studio", "candles")]


def _economics(r: random.Random) -> Item:
    kind = r.randrange(4)
    if kind == 0:
        p1 = r.randint(2, 20)
        p2 = p1 + r.randint(1, 10)
        q1 = r.randint(200, 900)
        q2 = q1 - r.randint(10, q1 // 2)
        e = ((q2 - q1) / ((q1 + q2) / 2)) / ((p2 - p1) / ((p1 + p2) / 2))
        good = r.choice(_GOODS_DEMAND)
        q = (f"When the price of {good} rises from ${p1} to ${p2}, the quantity demanded falls "
             f"from {q1} to {q2} units. What is the price elasticity of demand (midpoint method)?")
        kind_e = "elastic" if abs(e) > 1 else "inelastic"
        steps = [f"%ΔQ = ({q2} − {q1}) / {(q1 + q2) / 2:g} = {(q2 - q1) / ((q1 + q2) / 2):.3f}.",
                 f"%ΔP = ({p2} − {p1}) / {(p1 + p2) / 2:g} = {(p2 - p1) / ((p1 + p2) / 2):.3f}.",
                 f"Elasticity ≈ {e:.2f}, so demand is {kind_e}."]
        return _qa(q, steps, f"≈ {e:.2f} ({kind_e})", ["Social Science", "Economics", "Microeconomics"],
                   3, "undergraduate")
    if kind == 1:
        nominal, deflator = r.randint(500, 25000), r.choice([95, 102, 104, 110, 115, 120, 125, 130])
        year = r.randint(2005, 2024)
        q = f"In {year} a country's nominal GDP is ${nominal:,} billion and its GDP deflator is {deflator}. What is its real GDP?"
        steps = ["Real GDP = nominal GDP ÷ (deflator / 100).",
                 f"{nominal:,} ÷ {deflator / 100:g} ≈ ${nominal * 100 / deflator:,.1f} billion."]
        return _qa(q, steps, f"${nominal * 100 / deflator:,.1f} billion",
                   ["Social Science", "Economics", "Macroeconomics"], 2, "grade 12")
    if kind == 2:
        firm, units = r.choice(_FIRMS)
        fixed, price = r.randint(20, 400) * 100, r.randint(12, 90)
        var = r.randint(3, price - 2)
        be = math.ceil(fixed / (price - var))
        q = (f"{firm.capitalize()} has fixed costs of ${fixed:,} a month. Each of its {units} sells for "
             f"${price} and costs ${var} to make. How many {units} must it sell to break even?")
        steps = [f"Contribution margin per unit: ${price} − ${var} = ${price - var}.",
                 f"Break-even quantity = {fixed:,} ÷ {price - var} ≈ {fixed / (price - var):.1f}, so {be} {units}."]
        return _qa(q, steps, f"{be} {units}", ["Social Science", "Economics", "Microeconomics"], 2,
                   "grade 12")
    cpi1 = r.randint(180, 300) + r.randint(0, 9) / 10
    cpi2 = round(cpi1 * (1 + r.randint(-10, 90) / 1000), 1)
    y = r.randint(2001, 2023)
    infl = (cpi2 - cpi1) / cpi1 * 100
    q = f"The consumer price index was {cpi1} in {y} and {cpi2} in {y + 1}. What was the inflation rate?"
    steps = ["Inflation = (CPI₂ − CPI₁) / CPI₁ × 100%.",
             f"({cpi2} − {cpi1}) / {cpi1} × 100% ≈ {infl:.2f}%."]
    return _qa(q, steps, f"{infl:.2f}%", ["Social Science", "Economics", "Macroeconomics"], 2,
               "grade 12")


_LAUNCHED = ["A projectile", "A football", "A golf ball", "A stone from a catapult", "A water jet",
             "A cannonball in a museum demonstration", "A tennis ball from a ball machine",
             "A model rocket's spent stage", "A javelin"]
_PENS = [("a rectangular goat pen", "a barn wall"), ("a vegetable plot", "a fence already there"),
         ("a play area", "the side of a house"), ("a chicken run", "a stone wall"),
         ("a storage yard", "a warehouse wall"), ("a dog run", "a garage wall")]


def _hard(r: random.Random) -> Item:
    """Multi-step items, as a high-difficulty synthesis pass produces them."""
    kind = r.randrange(4)
    if kind == 0:
        v, theta = r.randint(10, 60), r.randint(15, 75)
        rad = math.radians(theta)
        rng_m, h = v * v * math.sin(2 * rad) / 9.8, (v * math.sin(rad)) ** 2 / (2 * 9.8)
        t = 2 * v * math.sin(rad) / 9.8
        what = r.choice(_LAUNCHED)
        q = r.choice([f"{what} is launched from level ground at {v} m/s, {theta}° above the horizontal. Ignoring air resistance, find its time of flight, range and maximum height (g = 9.8 m/s²).",
                      f"{what} leaves the ground at {theta}° with speed {v} m/s. How long is it in the air, how far does it land, and how high does it rise? Neglect drag; g = 9.8 m/s²."])
        steps = [f"Components: vₓ = {v} cos {theta}° ≈ {v * math.cos(rad):.2f} m/s, v_y = {v} sin {theta}° ≈ {v * math.sin(rad):.2f} m/s.",
                 r.choice([f"Time of flight T = 2v_y / g ≈ {t:.2f} s.",
                           f"It returns to launch height when v_y t − ½gt² = 0, i.e. after T ≈ {t:.2f} s."]),
                 f"Range R = vₓT ≈ {rng_m:.1f} m.",
                 f"Maximum height H = v_y² / (2g) ≈ {h:.1f} m."]
        return _qa(q, steps, f"T ≈ {t:.2f} s, R ≈ {rng_m:.1f} m, H ≈ {h:.1f} m",
                   ["STEM", "Physics", "Mechanics"], 5, "undergraduate")
    if kind == 1:
        n, k = r.randint(8, 20), r.randint(3, 6)
        total, together = math.comb(n, k), math.comb(n - 2, k - 2)
        one, two = r.sample(_NAMES, 2)
        body = r.choice(["committee", "project team", "jury panel", "debate squad", "study group",
                         "relay team", "planning board"])
        q = r.choice([f"A {body} of {k} is chosen from {n} people, but two of them, {one} and {two}, refuse to serve together. How many {body}s are possible?",
                      f"How many ways are there to pick a {k}-person {body} from {n} candidates if {one} and {two} cannot both be on it?"])
        steps = [f"All choices: C({n}, {k}) = {total}.",
                 f"Choices containing both {one} and {two}: fill the other {k - 2} seats from {n - 2}, C({n - 2}, {k - 2}) = {together}.",
                 f"Allowed: {total} − {together} = {total - together}."]
        return _qa(q, steps, str(total - together), ["STEM", "Mathematics", "Combinatorics"], 5,
                   "undergraduate")
    if kind == 2:
        fence = r.randint(12, 400)
        pen, wall = r.choice(_PENS)
        who = r.choice(_NAMES)
        q = (f"{who} has {fence} m of fencing to enclose {pen}, using {wall} as one side. "
             f"What dimensions give the largest area, and what is that area?")
        steps = [f"Let x be each side perpendicular to the wall; the side parallel to it is {fence} − 2x.",
                 f"A(x) = x({fence} − 2x) = {fence}x − 2x², so A′(x) = {fence} − 4x = 0 at x = {_num(fence / 4)}.",
                 f"The parallel side is {_num(fence / 2)} m and A = {_num(fence / 4)} × {_num(fence / 2)} = {_num(fence * fence / 8)} m²."]
        return _qa(q, steps, f"{_num(fence / 4)} m × {_num(fence / 2)} m, {_num(fence * fence / 8)} m²",
                   ["STEM", "Mathematics", "Calculus"], 5, "grade 12")
    a1, ratio, terms = r.randint(1, 9), r.choice([2, 3, -2, 0.5, -3, 1.5]), r.randint(5, 12)
    s_n = a1 * (1 - ratio ** terms) / (1 - ratio)
    q = r.choice([f"Find the sum of the first {terms} terms of the geometric sequence whose first term is {a1} and whose common ratio is {_num(ratio)}.",
                  f"A geometric series starts at {a1} and each term is {_num(ratio)} times the previous one. What do its first {terms} terms add up to?"])
    steps = [f"Sₙ = a₁(1 − rⁿ) / (1 − r) with a₁ = {a1}, r = {_num(ratio)}, n = {terms}.",
             f"({_num(ratio)})^{terms} = {_num(ratio ** terms)}.",
             f"S = {a1} × (1 − {_num(ratio ** terms)}) / (1 − {_num(ratio)}) = {_num(s_n)}."]
    return _qa(q, steps, _num(s_n), ["STEM", "Mathematics", "Algebra"], 4, "grade 12")


_POEMS = [("静夜思", "李白"), ("春晓", "孟浩然"), ("登鹳雀楼", "王之涣"), ("望庐山瀑布", "李白"),
          ("江雪", "柳宗元"), ("悯农", "李绅"), ("咏鹅", "骆宾王"), ("相思", "王维"), ("游子吟", "孟郊"),
          ("清明", "杜牧"), ("望岳", "杜甫"), ("春望", "杜甫"), ("枫桥夜泊", "张继"), ("黄鹤楼", "崔颢"),
          ("凉州词", "王翰"), ("出塞", "王昌龄"), ("赋得古原草送别", "白居易"), ("山行", "杜牧")]
_ZH_SHAPES = [("长方形木板", "块"), ("长方形菜地", "块"), ("长方形桌面", "张"), ("长方形操场", "个"),
              ("长方形花坛", "个"), ("长方形窗户", "扇")]
_ZH_GOODS = [("笔记本", "本"), ("铅笔", "支"), ("苹果", "千克"), ("足球", "个"), ("故事书", "本"),
             ("牛奶", "盒"), ("围巾", "条"), ("台灯", "盏")]


def _zh_math(r: random.Random) -> Item:
    name = r.choice(_ZH_NAMES)
    kind = r.randrange(6)
    path = ["STEM", "Mathematics", "Arithmetic"]
    if kind == 0:
        b, a = sorted(r.sample(range(2, 61), 2))
        shape, unit = r.choice(_ZH_SHAPES)
        q = r.choice([f"一{unit}{shape}长{a}米，宽{b}米，它的面积和周长各是多少？",
                      f"{name}量得一{unit}{shape}长{a}米、宽{b}米，求它的面积。"])
        steps = [f"面积 = 长 × 宽 = {a} × {b} = {a * b}（平方米）。"]
        final = f"面积是{a * b}平方米"
        if "周长" in q:
            steps.append(f"周长 = (长 + 宽) × 2 = ({a} + {b}) × 2 = {2 * (a + b)}（米）。")
            final += f"，周长是{2 * (a + b)}米"
        return _qa(q, steps, final, path, 1, f"grade {r.randint(3, 4)}")
    if kind == 1:
        chickens, rabbits = r.randint(1, 40), r.randint(1, 40)
        heads, feet = chickens + rabbits, 2 * chickens + 4 * rabbits
        q = r.choice([f"笼子里有鸡和兔共{heads}只，一共有{feet}只脚。鸡和兔各有多少只？",
                      f"{name}家养了鸡和兔，数一数共有{heads}个头、{feet}条腿。鸡、兔各几只？"])
        steps = [f"假设全是鸡，应有{2 * heads}只脚，比实际少{feet - 2 * heads}只。",
                 f"每只兔比鸡多2只脚，所以兔有{feet - 2 * heads}÷2 = {rabbits}只，鸡有{heads} − {rabbits} = {chickens}只。"]
        return _qa(q, steps, f"鸡{chickens}只，兔{rabbits}只", ["STEM", "Mathematics", "Algebra"], 3,
                   f"grade {r.randint(4, 6)}")
    if kind == 2:
        good, unit = r.choice(_ZH_GOODS)
        price, zhe = r.randint(8, 300), r.choice([5, 6, 7, 7.5, 8, 8.5, 9])
        sale = price * zhe / 10
        q = f"一种{good}原价{price}元，现在打{_num(zhe)}折出售，{name}买了一{unit}，比原价便宜了多少元？"
        steps = [f"打{_num(zhe)}折就是按原价的{_num(zhe * 10)}%出售：{price} × {_num(zhe * 10)}% = {_num(sale)}（元）。",
                 f"便宜了{price} − {_num(sale)} = {_num(price - sale)}（元）。"]
        return _qa(q, steps, f"{_num(price - sale)}元", path, 2, f"grade {r.randint(5, 6)}")
    if kind == 3:
        da, db = r.choice([(10, 15), (12, 6), (20, 30), (8, 24), (15, 10), (6, 3), (18, 9), (24, 12)])
        job = r.choice(["修一条路", "完成一批零件", "抄写一份材料", "粉刷一面墙", "清理一片草地"])
        days = Fraction(da * db, da + db)
        q = f"{job}，甲队单独做要{da}天完成，乙队单独做要{db}天完成。两队合作，需要多少天完成？"
        steps = [f"甲每天完成1/{da}，乙每天完成1/{db}，合作每天完成1/{da} + 1/{db} = {Fraction(1, da) + Fraction(1, db)}。",
                 f"所需天数：1 ÷ {Fraction(1, da) + Fraction(1, db)} = {days}（天）。"]
        return _qa(q, steps, f"{days}天", path, 3, f"grade {r.randint(5, 6)}")
    if kind == 4:
        scores = [r.randint(60, 100) for _ in range(r.randint(4, 7))]
        subject = r.choice(["数学", "语文", "英语", "科学", "跳绳（个/分）", "体育"])
        q = f"{name}最近几次{subject}测验的成绩是：{'、'.join(map(str, scores))}。平均成绩是多少？"
        steps = [f"总分：{' + '.join(map(str, scores))} = {sum(scores)}。",
                 f"平均数：{sum(scores)} ÷ {len(scores)} ≈ {_num(sum(scores) / len(scores))}。"]
        return _qa(q, steps, _num(sum(scores) / len(scores)), ["STEM", "Mathematics", "Statistics"],
                   2, f"grade {r.randint(4, 6)}")
    v1, v2, t = r.randint(40, 90), r.randint(30, 80), r.randint(2, 6)
    a, b = r.sample(["甲地", "乙地", "北京", "天津", "学校", "公园", "车站", "码头"], 2)
    q = f"一辆客车和一辆货车同时从{a}和{b}相对开出，客车每小时行{v1}千米，货车每小时行{v2}千米，{t}小时后相遇。两地相距多少千米？"
    steps = [f"速度和：{v1} + {v2} = {v1 + v2}（千米/时）。",
             f"路程 = 速度和 × 相遇时间 = {v1 + v2} × {t} = {(v1 + v2) * t}（千米）。"]
    return _qa(q, steps, f"{(v1 + v2) * t}千米", ["STEM", "Physics", "Mechanics"], 2,
               f"grade {r.randint(4, 6)}")


def _zh_misc(r: random.Random) -> Item:
    if r.random() < 0.5:
        poem, author = r.choice(_POEMS)
        q = r.choice([f"《{poem}》的作者是谁？", f"古诗《{poem}》是哪位诗人写的？"])
        return _qa(q, [f"《{poem}》的作者是唐代诗人{author}。"], author,
                   ["Humanities", "Literature", "Classical Chinese Poetry"], 1,
                   f"grade {r.randint(2, 6)}", key=f"poem:{poem}")
    _, _, _, country, capital = r.choice(_CAPITALS)
    q = r.choice([f"{country}的首都是哪座城市？", f"请问{country}的首都是哪里？"])
    return _qa(q, [f"{country}的首都是{capital}。"], capital,
               ["Social Science", "Geography", "Capitals"], 1, f"grade {r.randint(4, 7)}",
               key=f"zh-capital:{country}")


# (generator, weight): most weight on templates with large spaces; fact templates stop giving
# new items once each fact is used.
_TEMPLATES: list[tuple[Callable[[random.Random], Item], float]] = [
    (_arith_change, 4), (_arith_groups, 4), (_percent, 4), (_linear, 5), (_quadratic, 4),
    (_pythagoras, 3), (_circle, 4), (_statistics, 4), (_probability, 4), (_system, 3),
    (_rate, 4), (_interest, 3), (_volume, 3), (_fractions, 3), (_sequence, 3), (_derivative, 3),
    (_kinematics, 5), (_optics, 4), (_electricity, 4), (_energy, 5), (_chemistry, 6),
    (_biology, 4), (_history, 1), (_geography, 1), (_computer_science, 6), (_economics, 5),
    (_hard, 5), (_zh_math, 14), (_zh_misc, 1),
]


_SYNONYMS = {"What": "Which", "How": "In what way", "receive": "get", "buys": "purchases",
             "holds": "contains", "main": "primary", "ray": "beam", "placed": "put",
             "originally": "initially", "sale": "discount", "Find": "Determine",
             "Calculate": "Compute", "dropped": "released", "Describe": "Explain",
             "long": "far", "city": "town", "rises": "increases", "falls": "drops"}


def _near_edit(r: random.Random, text: str, zh: bool) -> tuple[str, str]:
    """A small edit of ``text`` and its name; the result always differs from the input."""
    if zh:
        choices = ["drop_char", "punct_width", "prefix"]
        kind = r.choice(choices)
        if kind == "drop_char" and len(text) > 6:
            i = r.randrange(1, len(text) - 2)
            return text[:i] + text[i + 1:], kind
        if kind == "punct_width" and ("？" in text or "，" in text):
            return text.replace("？", "?").replace("，", ","), kind
        return "请问：" + text, "prefix"
    words = text.split(" ")
    kind = r.choice(["synonym", "delete_word", "punctuation", "case", "whitespace"])
    if kind == "synonym":
        spots = [i for i, w in enumerate(words) if w in _SYNONYMS]
        if spots:
            i = r.choice(spots)
            words[i] = _SYNONYMS[words[i]]
            return " ".join(words), kind
        kind = "delete_word"
    if kind == "delete_word" and len(words) > 4:
        del words[r.randrange(1, len(words) - 1)]
        return " ".join(words), kind
    if kind == "punctuation" and text[-1] in "?.":
        return text[:-1] + ("" if r.random() < 0.5 else "!" if text[-1] == "." else " ?"), kind
    if kind == "case":
        return (text.lower() if text != text.lower() else text.upper()), "case"
    i = r.randrange(1, len(words)) if len(words) > 1 else 0
    return " ".join(words[:i]) + "  " + " ".join(words[i:]), "whitespace"




def _render(r: random.Random, item: Item, worked: bool) -> Item:
    """Turn a template's steps into a framed answer and add the generator-side metadata;
    ``worked``: a computed answer (fact answers get no remark on method)."""
    steps, final = item.pop("steps"), item.pop("final")
    zh = _CJK.search(item["question"]) is not None
    if zh:
        layout = r.randrange(3 if worked else 2)
        body = ("".join(steps) if layout == 0 else "\n".join(steps) if layout == 1
                else "\n".join(f"（{i}）{s}" for i, s in enumerate(steps, 1)))
        item["question"] += r.choice(_ZH_Q_SUFFIXES if worked else _ZH_FACT_Q_SUFFIXES)
        opener = r.choice(_ZH_OPENERS) if worked else ""
        closer = r.choice(_ZH_CLOSERS)
    else:
        layout = r.randrange(4)
        body = (" ".join(steps) if layout == 0
                else "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1)) if layout == 1
                else "\n".join(f"Step {i}: {s}" for i, s in enumerate(steps, 1)) if layout == 2
                else "\n".join(f"- {s}" for s in steps))
        if r.random() < 0.5:
            grade, topic = item["grade"], item["discipline"][-1].lower()
            prefix = r.choice(_CONTEXTS).format(
                name=r.choice(_NAMES), topic=topic, a_topic=("an " if topic[0] in "aeiou" else "a ") + topic,
                level="college" if grade == "undergraduate" else grade, rel=r.choice(_RELATIVES))
        else:
            prefix = r.choice(_Q_PREFIXES).format(k=r.randint(1, 40))
        item["question"] = prefix + item["question"] + r.choice(
            _Q_SUFFIXES if worked else _FACT_Q_SUFFIXES)
        if worked and r.random() < 0.5:
            body += "\n" + r.choice(_REMARKS)
        opener, closer = r.choice(_OPENERS if worked else _FACT_OPENERS), r.choice(_CLOSERS)
    item["answer"] = opener + body + closer.format(final=final)
    item["language"] = "zh" if zh else "en"
    item["generator"] = r.choice(_GENERATORS)
    item["synth_type"] = ("high_difficulty" if item["difficulty"] >= 4 and r.random() < 0.7
                          else r.choice(["seed", "multi_grade", "refined"]))
    if item["generator"] == "deepseek-r1":
        item["reasoning"] = r.choice(_REASONING_ZH if zh else _REASONING_EN).format(
            step=steps[0], final=final)
    return item


class _DiversityFilter:
    """Admits a text unless its char-5 Jaccard similarity to an earlier text of its group
    reaches ``MAX_BASE_SIMILARITY``. Groups are a template's items of one discipline path (one
    kind of problem): other items share little text with them (the sample's test checks all
    pairs), and comparing within a group keeps generation fast.

    Each text is also kept as a bitset of its shingle hashes modulo ``_BITS``, so one numpy
    popcount per group finds the few earlier texts worth an exact set comparison. Hash
    collisions make bitset similarity overestimate (unshared shingles landing on one bit)
    more than underestimate (shared ones landing on one bit, under 1 in 4096 pairs), so the
    small slack keeps the screen from missing a similar pair.
    """

    _BITS = 4096
    _SLACK = 0.02

    def __init__(self) -> None:
        self._hasher = MinHasher()
        # group -> (bitset rows, their popcounts, shingle sets); rows grow by doubling.
        self._groups: dict[str, tuple[np.ndarray, np.ndarray, list[frozenset[int]]]] = {}

    def admit(self, group: str, text: str) -> bool:
        hashes = self._hasher.shingle_hashes(text)
        bits = np.zeros(self._BITS // 64, np.uint64)
        slots = hashes % self._BITS
        np.bitwise_or.at(bits, slots >> 6, np.left_shift(np.uint64(1), (slots & 63).astype(np.uint64)))
        rows, ones, sets = self._groups.get(group) or (np.zeros((16, self._BITS // 64), np.uint64),
                                                       np.zeros(16, np.int64), [])
        shingles = frozenset(hashes.tolist())
        n, mine = len(sets), int(np.bitwise_count(bits).sum())
        common = np.bitwise_count(rows[:n] & bits).sum(axis=1)
        rough = common / (ones[:n] + mine - common)
        for i in np.flatnonzero(rough >= MAX_BASE_SIMILARITY - self._SLACK):
            shared = len(shingles & sets[i])
            if shared >= MAX_BASE_SIMILARITY * (len(shingles) + len(sets[i]) - shared):
                return False
        if n == len(rows):
            rows, ones = np.concatenate([rows, np.zeros_like(rows)]), np.concatenate([ones, ones * 0])
        rows[n], ones[n] = bits, mine
        sets.append(shingles)
        self._groups[group] = rows, ones, sets
        return True


def _items(n_records: int, r: random.Random,
           diversity: _DiversityFilter) -> tuple[list[Item], list[dict[str, str]]]:
    """n_records QA items (unique base items plus planted duplicates) and the duplicate truth."""
    n_exact = round(n_records * EXACT_SHARE)
    n_near = round(n_records * NEAR_SHARE)
    funcs = [f for f, _ in _TEMPLATES]
    weights = [w for _, w in _TEMPLATES]
    items: list[Item] = []
    seen: set[str] = set()
    attempts = 0
    while len(items) < n_records - n_exact - n_near:
        attempts += 1
        if attempts > 50 * n_records:
            raise RuntimeError("sample templates exhausted")  # a bug in the templates, not input
        func = r.choices(funcs, weights)[0]
        item = func(r)
        key = item.pop("key", item["question"])
        if key in seen:
            continue
        item = _render(r, item, worked=key == item["question"])
        group = f"{func.__name__}:{'/'.join(item['discipline'])}"
        if item["question"] in seen or not diversity.admit(
                group, f"{item['question']}\n{item['answer']}"):
            continue
        seen.update((key, item["question"]))
        items.append(item)
    for i, item in enumerate(items):
        item["id"] = f"sample-{i:06d}"
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
            dup[field], edit = _near_edit(r, orig[field], zh)
            kind = "near"
        items.append(dup)
        truth.append({"id": dup["id"], "of": orig["id"], "kind": kind, "edit": edit})
    return items, truth


def _answer_with_think(item: Item) -> str:
    return f"<think>\n{item['reasoning']}\n</think>\n\n{item['answer']}" if "reasoning" in item else item["answer"]


def _qa_line(item: Item) -> dict[str, Any]:
    return {"id": item["id"], "question": item["question"], "answer": _answer_with_think(item),
            "discipline": "/".join(item["discipline"]), "difficulty": item["difficulty"],
            "grade": item["grade"], "synth_type": item["synth_type"],
            "generator": item["generator"], "language": item["language"],
            "source": "boostpack-sample"}


def _chat_line(item: Item) -> dict[str, Any]:
    return {"id": item["id"], "messages": [
        {"role": "system", "content": _SYSTEM[item["language"]]},
        {"role": "user", "content": item["question"]},
        {"role": "assistant", "content": _answer_with_think(item)}],
        "discipline": item["discipline"], "difficulty": item["difficulty"],
        "grade": item["grade"], "synth_type": item["synth_type"],
        "generator": item["generator"], "language": item["language"]}


def _batch_lines(item: Item, r: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """(request line, output line) of the OpenAI Batch API for one item."""
    model = "deepseek-reasoner" if "reasoning" in item else item["generator"]
    messages = [{"role": "system", "content": _SYSTEM[item["language"]]},
                {"role": "user", "content": item["question"]}]
    request = {"custom_id": item["id"], "method": "POST", "url": "/v1/chat/completions",
               "body": {"model": model, "messages": messages, "temperature": 0.7}}
    message: dict[str, Any] = {"role": "assistant", "content": item["answer"]}
    if "reasoning" in item:
        message["reasoning_content"] = item["reasoning"]
    output = {"id": f"batch_req_{r.getrandbits(96):024x}", "custom_id": item["id"],
              "response": {"status_code": 200, "request_id": f"{r.getrandbits(128):032x}",
                           "body": {"id": f"chatcmpl-{r.getrandbits(80):020x}",
                                    "object": "chat.completion", "created": 1767225600,
                                    "model": model, "choices": [
                                        {"index": 0, "message": message, "finish_reason": "stop"}],
                                    "usage": {"prompt_tokens": len(item["question"]) // 4 + 20,
                                              "completion_tokens": len(item["answer"]) // 4 + 1}}},
              "error": None}
    return request, output




_FACTS = ([f"The {o} is responsible for {role}; {d}." for o, role, d in _ORGANELLES]
          + [f"{c} is the capital of {k}, {ctx}." for k, c, ctx, _, _ in _CAPITALS]
          + [f"The worst-case running time of {a} is {c}, because {w}." for a, c, w in _ALGORITHMS]
          + [f"《{p}》是唐代诗人{a}的作品。" for p, a in _POEMS]
          + [f"The molar mass of {name} ({f}) is {m} g/mol." for name, f, m in _COMPOUNDS])
_EXAMPLE_LABELS = [("Example", "Solution"), ("Worked example", "Working"),
                   ("Exercise", "Solution"), ("Try it", "Answer"), ("Sample problem", "Solution")]


def _textbook(r: random.Random, n: int, diversity: _DiversityFilter) -> list[dict[str, Any]]:
    """Text paragraphs: half a few facts in a row, half a worked example, as in a textbook."""
    funcs = [f for f, _ in _TEMPLATES]
    weights = [w for _, w in _TEMPLATES]
    out: list[dict[str, Any]] = []
    while len(out) < n:
        if len(out) % 2:
            # Five or more facts, so no one fact makes a paragraph similar to the QA item on it.
            group, text = "facts", " ".join(r.sample(_FACTS, r.randint(5, 8)))
        else:
            func = r.choices(funcs, weights)[0]
            item = func(r)
            label, solution = r.choice(_EXAMPLE_LABELS)
            group = f"{func.__name__}:{'/'.join(item['discipline'])}"
            text = (f"{label} {r.randint(1, 12)}.{r.randint(1, 9)} {item['question']} "
                    f"{solution}: {' '.join(item['steps'])}")
        if diversity.admit(group, text):
            out.append({"text": text, "source": "boostpack-sample/textbook"})
    return out


# Each case the quarantine must catch, as it shows up in real generator dumps.
_MALFORMED_QA = [
    b'{"id": "broken-1", "question": "What is the capital of Peru?", "answer": "Li',  # cut off
    b'{"id": "broken-2", "question": "Which gas do plants absorb?"}',  # missing answer
    b'{"id": "broken-3", "question": 42, "answer": "forty-two"}',  # wrong type
    b'["not", "an", "object"]',
    b'{"id": "broken-4", "question": "caf\xe9 au lait?", "answer": "yes"}',  # Latin-1, not UTF-8
    b"",  # a blank line: counted, not quarantined
]
_MALFORMED_CHAT = [
    b'{"id": "broken-5", "messages": [{"role": "user", "content": "Define entropy."}]}',
]


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj) + b"\n"


def _write_lines(path: Path, lines: list[bytes]) -> None:
    with atomic_write(path, "wb") as f:
        f.write(b"".join(lines))


def write_sample(directory: str | os.PathLike[str], n_records: int = 3000,
                 seed: int = 0) -> list[Path]:
    """Write the sample into ``directory``; return the input files (not requests or truth).

    ``n_records`` QA items (planted duplicates included) are split about 50/30/20 over the flat,
    chat and batch files, plus ``n_records // 30`` text paragraphs and the malformed lines.
    """
    if n_records < 10:
        raise ValueError(f"n_records must be >= 10, got {n_records}")
    r = random.Random(seed)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    diversity = _DiversityFilter()
    items, truth = _items(n_records, r, diversity)
    r.shuffle(items)
    qa: list[bytes] = []
    chat: list[bytes] = []
    requests: list[bytes] = []
    batch: list[bytes] = []
    for item in items:
        u = r.random()
        if u < 0.5:
            qa.append(_dumps(_qa_line(item)))
        elif u < 0.8:
            chat.append(_dumps(_chat_line(item)))
        else:
            request, output = _batch_lines(item, r)
            requests.append(_dumps(request))
            batch.append(_dumps(output))
    for bad in _MALFORMED_QA:
        qa.insert(r.randrange(len(qa) + 1), bad + b"\n")
    for bad in _MALFORMED_CHAT:
        chat.insert(r.randrange(len(chat) + 1), bad + b"\n")
    failed = {"id": "batch_req_failed", "custom_id": "sample-failed", "response": None,
              "error": {"code": "rate_limit_exceeded",
                        "message": "Rate limit reached for requests per day."}}
    batch.insert(r.randrange(len(batch) + 1), _dumps(failed))

    files = [out / "qa_synth.jsonl", out / "chat_synth.jsonl.zst", out / "batch_output.jsonl",
             out / "textbook.jsonl"]
    _write_lines(files[0], qa)
    # Two frames, as when generator workers' outputs are concatenated.
    half = len(chat) // 2
    cctx = zstandard.ZstdCompressor(level=3)
    with atomic_write(files[1], "wb") as f:
        f.write(cctx.compress(b"".join(chat[:half])))
        f.write(cctx.compress(b"".join(chat[half:])))
    _write_lines(files[2], batch)
    _write_lines(files[3], [_dumps(t) for t in _textbook(r, max(1, n_records // 30), diversity)])
    _write_lines(out / REQUESTS_PATH, requests)
    _write_lines(out / TRUTH_PATH, [_dumps(t) for t in truth])
    return files
