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

The QA comes from templates over ~17 discipline paths (arithmetic to Chinese poetry), with
randomized names, quantities and phrasings and worked answers computed from the values, so items
are distinct the way generator output is: same shapes, different content. About 15% are Chinese.
Planted on top: exact duplicates (~4%, often in another file) and near duplicates (~6%: a word
swapped for a synonym or deleted, punctuation or case changed, doubled spaces, a Chinese
character dropped), plus a handful of malformed lines, each a case the quarantine must catch.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import zstandard

from boostpack.atomic import atomic_write

REQUESTS_PATH = "_batch_requests/batch_input.jsonl"
TRUTH_PATH = "_truth/duplicates.jsonl"
EXACT_SHARE, NEAR_SHARE = 0.04, 0.06

_NAMES = ["Maya", "Liam", "Aisha", "Kenji", "Sofia", "Mateo", "Priya", "Noah", "Elena", "Omar",
          "Zara", "Lucas", "Amara", "Chen", "Ivan", "Fatima", "Diego", "Hana", "Tariq", "Ingrid"]
_ZH_NAMES = ["小明", "小红", "李华", "王芳", "张伟", "刘洋", "陈静", "赵磊"]
_GENERATORS = ["qwen2.5-72b-instruct", "deepseek-r1", "llama-3.1-70b-instruct", "gpt-4o-mini"]
_SYSTEM = {"en": "You are a patient teacher. Answer the question and show the key steps.",
           "zh": "你是一位耐心的老师。请回答问题并给出关键步骤。"}

Item = dict[str, Any]


def _num(x: float) -> str:
    """A value as a person writes it: no trailing zeros, at most 2 decimals."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _arith_change(r: random.Random) -> Item:
    name = r.choice(_NAMES)
    item, price = r.choice([("pencils", 0.75), ("notebooks", 2.5), ("stickers", 1.25),
                            ("juice boxes", 1.5), ("trading cards", 3.0), ("markers", 1.8),
                            ("bus tickets", 2.75), ("apples", 0.6)])
    n = r.randint(2, 12)
    total = n * price
    bill = next(b for b in (5, 10, 20, 50, 100) if b >= total)
    q = r.choice([
        f"{name} buys {n} {item} at ${price:.2f} each and pays with a ${bill} bill. How much change does {name} get back?",
        f"{item.capitalize()} cost ${price:.2f} each. If {name} buys {n} of them and hands the cashier ${bill}, what is the change?",
        f"At the school shop, {name} picks up {n} {item} priced at ${price:.2f} apiece and pays ${bill}. How much money is returned?",
    ])
    a = (f"The {item} cost {n} × ${price:.2f} = ${total:.2f}. The change is ${bill} − ${total:.2f} "
         f"= ${bill - total:.2f}.")
    return dict(question=q, answer=a, discipline=["STEM", "Mathematics", "Arithmetic"],
                difficulty=1, grade=f"grade {r.randint(3, 5)}")


def _arith_groups(r: random.Random) -> Item:
    name = r.choice(_NAMES)
    box, things = r.choice([("crate", "oranges"), ("carton", "eggs"), ("tray", "muffins"),
                            ("shelf", "books"), ("jar", "marbles"), ("bag", "seedlings")])
    per, boxes = r.randint(6, 36), r.randint(3, 15)
    given = r.randint(1, per * boxes - 1)
    left = per * boxes - given
    q = r.choice([
        f"Each {box} holds {per} {things}. {name} fills {boxes} {box}s and then gives away {given} {things}. How many {things} does {name} have left?",
        f"{name} packs {things} into {boxes} {box}s with {per} in each, then donates {given} of them. How many remain?",
    ])
    a = f"{boxes} × {per} = {per * boxes} {things} in total; {per * boxes} − {given} = {left} {things} are left."
    return dict(question=q, answer=a, discipline=["STEM", "Mathematics", "Arithmetic"],
                difficulty=1 if per * boxes < 100 else 2, grade=f"grade {r.randint(3, 6)}")


def _percent(r: random.Random) -> Item:
    product = r.choice(["jacket", "bicycle", "headphones", "desk lamp", "backpack", "board game",
                        "tennis racket", "blender", "winter coat", "camera"])
    price, off = r.randint(12, 480), r.choice([10, 15, 20, 25, 30, 35, 40, 50, 60])
    sale = price * (100 - off) / 100
    q = r.choice([
        f"A {product} originally costs ${price}. It is on sale for {off}% off. What is the sale price?",
        f"During a sale, a store takes {off}% off a {product} listed at ${price}. How much does the {product} cost now?",
        f"What do you pay for a ${price} {product} after a {off}% discount?",
    ])
    a = f"The discount is {off}% × ${price} = ${_num(price * off / 100)}, so the sale price is ${_num(sale)}."
    return dict(question=q, answer=a, discipline=["STEM", "Mathematics", "Arithmetic"],
                difficulty=2, grade=f"grade {r.randint(6, 7)}")


def _linear(r: random.Random) -> Item:
    x, a = r.randint(-15, 25), r.choice([2, 3, 4, 5, 6, 7, 8, 9, 11, 12])
    b = r.randint(-40, 40)
    c = a * x + b
    sign = "+" if b >= 0 else "−"
    eq = f"{a}x {sign} {abs(b)} = {c}"
    q = r.choice([f"Solve for x: {eq}.", f"Find the value of x that satisfies {eq}.",
                  f"What is x if {eq}?"])
    ans = (f"Subtract {b} from both sides: {a}x = {c - b}. Divide by {a}: x = {x}."
           if b >= 0 else f"Add {abs(b)} to both sides: {a}x = {c - b}. Divide by {a}: x = {x}.")
    return dict(question=q, answer=ans, discipline=["STEM", "Mathematics", "Algebra"],
                difficulty=2, grade=f"grade {r.randint(7, 9)}")


def _quadratic(r: random.Random) -> Item:
    r1, r2 = sorted(r.sample(range(-12, 13), 2))
    s, p = -(r1 + r2), r1 * r2
    poly = "x²" + (f" + {s}x" if s > 0 else f" − {-s}x" if s < 0 else "") + \
        (f" + {p}" if p > 0 else f" − {-p}" if p < 0 else "")
    q = r.choice([f"Find the roots of {poly} = 0.", f"Solve the quadratic equation {poly} = 0.",
                  f"For which values of x is {poly} equal to zero?"])
    factors = "".join(f"(x {'−' if root >= 0 else '+'} {abs(root)})" for root in (r1, r2))
    a = (f"Factor: {poly} = {factors}. The roots are x = {r1} and x = {r2}; "
         f"check: their sum is {r1 + r2} and their product is {p}, as the coefficients require.")
    return dict(question=q, answer=a, discipline=["STEM", "Mathematics", "Algebra"],
                difficulty=3 if abs(p) < 50 else 4, grade=f"grade {r.randint(9, 11)}")


def _pythagoras(r: random.Random) -> Item:
    base = r.choice([(3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (20, 21, 29), (9, 40, 41)])
    k = r.randint(1, 9)
    a, b, c = (k * v for v in base)
    unit = r.choice(["cm", "m", "inches", "ft"])
    thing = r.choice(["A right triangle", "A ladder leaning on a wall forms a right triangle that",
                      "A rectangular garden's diagonal path makes a right triangle that"])
    q = f"{thing} has legs of {a} {unit} and {b} {unit}. How long is the hypotenuse?"
    ans = f"By the Pythagorean theorem, c = √({a}² + {b}²) = √({a * a} + {b * b}) = √{c * c} = {c} {unit}."
    return dict(question=q, answer=ans, discipline=["STEM", "Mathematics", "Geometry"],
                difficulty=2, grade=f"grade {r.randint(8, 9)}")


def _circle(r: random.Random) -> Item:
    rad = r.randint(2, 30)
    unit = r.choice(["cm", "m", "mm", "km"])
    what = r.choice(["area", "circumference"])
    if what == "area":
        q = f"What is the area of a circle with radius {rad} {unit}? Give the answer in terms of π."
        a = f"A = πr² = π × {rad}² = {rad * rad}π {unit}² ≈ {_num(math.pi * rad * rad)} {unit}²."
    else:
        q = f"A circular track has a radius of {rad} {unit}. What is its circumference?"
        a = f"C = 2πr = 2π × {rad} = {2 * rad}π {unit} ≈ {_num(2 * math.pi * rad)} {unit}."
    return dict(question=q, answer=a, discipline=["STEM", "Mathematics", "Geometry"],
                difficulty=1, grade=f"grade {r.randint(6, 8)}")


def _kinematics(r: random.Random) -> Item:
    kind = r.randrange(3)
    if kind == 0:
        v, t = r.randint(5, 40), r.randint(2, 12)
        vehicle = r.choice(["car", "cyclist", "train", "scooter", "sprinter"])
        q = f"A {vehicle} accelerates uniformly from rest to {v} m/s in {t} s. What is its acceleration?"
        a = f"a = Δv / Δt = {v} m/s ÷ {t} s = {_num(v / t)} m/s²."
        d = 2
    elif kind == 1:
        h = r.choice([5, 10, 20, 45, 80, 125, 180, 12, 30, 60])
        obj = r.choice(["ball", "stone", "wrench", "apple", "coin"])
        q = f"A {obj} is dropped from a height of {h} m. Ignoring air resistance, how long does it take to reach the ground? (g = 9.8 m/s²)"
        a = f"From h = ½gt², t = √(2h/g) = √(2 × {h} / 9.8) ≈ {_num(math.sqrt(2 * h / 9.8))} s."
        d = 3
    else:
        m, v = r.choice([0.5, 2, 5, 10, 70, 1200, 1500]), r.randint(2, 30)
        obj = {0.5: "ball", 2: "brick", 5: "bowling ball", 10: "sled", 70: "runner",
               1200: "car", 1500: "van"}[m]
        q = f"What is the kinetic energy of a {_num(m)} kg {obj} moving at {v} m/s?"
        a = f"KE = ½mv² = ½ × {_num(m)} kg × ({v} m/s)² = {_num(0.5 * m * v * v)} J."
        d = 2
    return dict(question=q, answer=a, discipline=["STEM", "Physics", "Mechanics"],
                difficulty=d, grade=f"grade {r.randint(9, 12)}")


def _optics(r: random.Random) -> Item:
    if r.random() < 0.5:
        medium, n = r.choice([("water", 1.33), ("glass", 1.5), ("diamond", 2.42),
                              ("acrylic", 1.49), ("ice", 1.31), ("quartz", 1.46)])
        theta = r.choice([15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 70])
        out = math.degrees(math.asin(math.sin(math.radians(theta)) / n))
        q = (f"A ray of light passes from air into {medium} (n = {n}) at an angle of incidence of "
             f"{theta}°. What is the angle of refraction?")
        a = (f"Snell's law: sin θ₂ = sin {theta}° / {n} = {math.sin(math.radians(theta)) / n:.3f}, "
             f"so θ₂ ≈ {out:.1f}°. The ray bends toward the normal.")
        d = 3
    else:
        f = r.choice([5, 8, 10, 12, 15, 20, 25])
        do = f + r.randint(2, 40)
        di = 1 / (1 / f - 1 / do)
        q = (f"An object is placed {do} cm from a converging lens with a focal length of {f} cm. "
             f"Where is the image formed, and is it real or virtual?")
        a = (f"1/dᵢ = 1/f − 1/dₒ = 1/{f} − 1/{do}, so dᵢ ≈ {di:.1f} cm on the far side of the "
             f"lens. The image is real and inverted, magnified {di / do:.2f}×.")
        d = 4
    return dict(question=q, answer=a, discipline=["STEM", "Physics", "Optics"], difficulty=d,
                grade=r.choice(["grade 11", "grade 12", "undergraduate"]))


def _electricity(r: random.Random) -> Item:
    res, volt = r.choice([2, 4, 5, 8, 10, 12, 20, 47, 100, 220, 330]), r.choice([1.5, 3, 4.5, 6, 9, 12, 24])
    if r.random() < 0.5:
        q = f"A {res} Ω resistor is connected across a {_num(volt)} V battery. What current flows through it?"
        a = f"Ohm's law: I = V / R = {_num(volt)} V ÷ {res} Ω = {volt / res:.3g} A."
    else:
        q = f"How much power does a {res} Ω resistor dissipate when connected to a {_num(volt)} V supply?"
        a = f"P = V² / R = ({_num(volt)} V)² ÷ {res} Ω = {volt * volt / res:.3g} W."
    return dict(question=q, answer=a, discipline=["STEM", "Physics", "Electricity"],
                difficulty=2, grade=f"grade {r.randint(9, 12)}")


_COMPOUNDS = [("water", "H₂O", 18.02), ("carbon dioxide", "CO₂", 44.01),
              ("sodium chloride", "NaCl", 58.44), ("glucose", "C₆H₁₂O₆", 180.16),
              ("ammonia", "NH₃", 17.03), ("methane", "CH₄", 16.04),
              ("calcium carbonate", "CaCO₃", 100.09), ("sulfuric acid", "H₂SO₄", 98.08),
              ("ethanol", "C₂H₅OH", 46.07), ("sodium hydroxide", "NaOH", 40.00)]


def _chemistry(r: random.Random) -> Item:
    if r.random() < 0.6:
        name, formula, molar = r.choice(_COMPOUNDS)
        mass = r.choice([5, 9, 10, 25, 36, 50, 88, 100, 120, 250, 500])
        q = r.choice([f"How many moles are in {mass} g of {name} ({formula})?",
                      f"Calculate the amount of substance in {mass} grams of {formula}.",
                      f"A sample of {name} has a mass of {mass} g. How many moles of {formula} is that?"])
        a = f"The molar mass of {formula} is {molar} g/mol, so n = {mass} g ÷ {molar} g/mol ≈ {mass / molar:.3f} mol."
        return dict(question=q, answer=a, discipline=["STEM", "Chemistry", "Stoichiometry"],
                    difficulty=2, grade=f"grade {r.randint(10, 12)}")
    k = r.randint(1, 13)
    coef = r.choice([1, 2, 3, 5])
    ph = k - math.log10(coef)
    conc = f"{coef} × 10⁻{k}" if coef != 1 else f"10⁻{k}"
    q = f"What is the pH of a solution whose hydrogen-ion concentration is {conc} M?"
    nature = "acidic" if ph < 7 else "basic" if ph > 7 else "neutral"
    a = f"pH = −log₁₀[H⁺] = −log₁₀({conc}) ≈ {ph:.2f}, so the solution is {nature}."
    return dict(question=q, answer=a, discipline=["STEM", "Chemistry", "Acids and Bases"],
                difficulty=3, grade=f"grade {r.randint(10, 12)}")


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
]
_TRAITS = [("purple", "white", "flower color"), ("tall", "short", "stem length"),
           ("round", "wrinkled", "seed shape"), ("yellow", "green", "seed color")]


def _biology(r: random.Random) -> Item:
    if r.random() < 0.5:
        org, role, detail = r.choice(_ORGANELLES)
        if r.random() < 0.5:
            q = r.choice([f"What is the main function of the {org} in a eukaryotic cell?",
                          f"Describe the role of the {org}.",
                          f"Why is the {org} important to a cell?"])
        else:
            q = f"Which cell structure is responsible for {role}?"
        a = f"The {org} is responsible for {role}; {detail}."
        return dict(question=q, answer=a, discipline=["STEM", "Biology", "Cell Biology"],
                    difficulty=r.choice([1, 2]), grade=f"grade {r.randint(7, 10)}")
    dom, rec, trait = r.choice(_TRAITS)
    cross, frac = r.choice([("Aa × Aa", "1/4"), ("Aa × aa", "1/2"), ("AA × aa", "0"),
                            ("AA × Aa", "0"), ("aa × aa", "all (1)")])
    q = (f"In pea plants, {dom} {trait} (A) is dominant over {rec} (a). In the cross {cross}, "
         f"what fraction of the offspring show the {rec} phenotype?")
    a = (f"Only aa offspring are {rec}. A Punnett square for {cross} gives a fraction of {frac} "
         f"with genotype aa, so {frac} of the offspring have {rec} {trait}.")
    return dict(question=q, answer=a, discipline=["STEM", "Biology", "Genetics"],
                difficulty=3, grade=f"grade {r.randint(9, 11)}")


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
]


def _history(r: random.Random) -> Item:
    event, year, ctx = r.choice(_EVENTS)
    q = r.choice([f"In which year did {event}?", f"When did {event}? Give the year.",
                  f"What year did {event}?"])
    a = f"It happened in {year}, {ctx}."
    return dict(question=q, answer=a, discipline=["Humanities", "History", "World History"],
                difficulty=r.choice([1, 2]), grade=r.choice(["grade 8", "grade 10", "high school"]))


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
                  f"Name the capital city of {country}."])
    a = f"The capital of {country} is {capital}, {ctx}."
    return dict(question=q, answer=a, discipline=["Social Science", "Geography", "Capitals"],
                difficulty=1, grade=r.choice(["grade 5", "grade 6", "grade 7"]))


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
]


def _computer_science(r: random.Random) -> Item:
    if r.random() < 0.5:
        alg, cost, why = r.choice(_ALGORITHMS)
        q = r.choice([f"What is the worst-case time complexity of {alg}?",
                      f"In big-O notation, how long does {alg} take in the worst case?",
                      f"Explain the worst-case running time of {alg}."])
        a = f"The worst case is {cost}: {why}."
        return dict(question=q, answer=a, discipline=["STEM", "Computer Science", "Algorithms"],
                    difficulty=3, grade="undergraduate")
    kind = r.randrange(4)
    if kind == 0:
        lo, hi = r.randint(0, 20), r.randint(21, 120)
        expr, val = f"sum(range({lo}, {hi}))", sum(range(lo, hi))
        why = f"it adds the integers from {lo} to {hi - 1}"
    elif kind == 1:
        n = r.randint(3, 30)
        expr, val = f"[x * x for x in range({n})][-1]", (n - 1) ** 2
        why = f"the last element squares {n - 1}"
    elif kind == 2:
        x, y = r.randint(-99, 200), r.randint(2, 17)
        expr, val = f"{x} // {y}", x // y
        why = "floor division rounds toward negative infinity"
    else:
        x, y = r.randint(-99, 200), r.randint(2, 17)
        expr, val = f"{x} % {y}", x % y
        why = "Python's remainder takes the sign of the divisor"
    q = r.choice([f"What does the Python expression `{expr}` evaluate to?",
                  f"In Python 3, what is the value of `{expr}`?"])
    a2 = f"It evaluates to {val}: {why}."
    return dict(question=q, answer=a2, discipline=["STEM", "Computer Science", "Programming"],
                difficulty=2, grade="undergraduate")


def _economics(r: random.Random) -> Item:
    if r.random() < 0.5:
        p1 = r.randint(2, 20)
        p2 = p1 + r.randint(1, 10)
        q1 = r.randint(200, 900)
        q2 = q1 - r.randint(10, q1 // 2)
        e = ((q2 - q1) / ((q1 + q2) / 2)) / ((p2 - p1) / ((p1 + p2) / 2))
        good = r.choice(["coffee", "movie tickets", "gasoline", "bread", "concert seats", "wool"])
        q = (f"When the price of {good} rises from ${p1} to ${p2}, the quantity demanded falls "
             f"from {q1} to {q2} units. What is the price elasticity of demand (midpoint method)?")
        kind = "elastic" if abs(e) > 1 else "inelastic"
        a = (f"%ΔQ = ({q2} − {q1}) / {(q1 + q2) / 2:g} and %ΔP = ({p2} − {p1}) / {(p1 + p2) / 2:g}, "
             f"so the elasticity is ≈ {e:.2f}: demand is {kind}.")
        return dict(question=q, answer=a, discipline=["Social Science", "Economics", "Microeconomics"],
                    difficulty=3, grade="undergraduate")
    nominal, deflator = r.randint(500, 25000), r.choice([95, 102, 104, 110, 115, 120, 125, 130])
    q = (f"A country's nominal GDP is ${nominal} billion and its GDP deflator is {deflator}. "
         f"What is its real GDP?")
    a = f"Real GDP = nominal GDP ÷ (deflator / 100) = {nominal} ÷ {deflator / 100:g} ≈ ${nominal * 100 / deflator:,.1f} billion."
    return dict(question=q, answer=a, discipline=["Social Science", "Economics", "Macroeconomics"],
                difficulty=2, grade="grade 12")


def _hard(r: random.Random) -> Item:
    """Multi-step items, as a high-difficulty synthesis pass produces them."""
    kind = r.randrange(3)
    if kind == 0:
        v, theta = r.randint(10, 60), r.choice([15, 20, 30, 37, 45, 53, 60, 75])
        rad = math.radians(theta)
        rng_m, h = v * v * math.sin(2 * rad) / 9.8, (v * math.sin(rad)) ** 2 / (2 * 9.8)
        q = (f"A projectile is launched from level ground at {v} m/s, {theta}° above the "
             f"horizontal. Ignoring air resistance, find its range and its maximum height "
             f"(g = 9.8 m/s²).")
        a = (f"Range R = v² sin(2θ) / g = {v}² × sin {2 * theta}° / 9.8 ≈ {rng_m:.1f} m. "
             f"Maximum height H = (v sin θ)² / (2g) ≈ {h:.1f} m.")
        return dict(question=q, answer=a, discipline=["STEM", "Physics", "Mechanics"],
                    difficulty=5, grade="undergraduate")
    if kind == 1:
        n, k = r.randint(8, 20), r.randint(3, 6)
        total, together = math.comb(n, k), math.comb(n - 2, k - 2)
        one, two = r.sample(_NAMES, 2)
        q = (f"A committee of {k} is chosen from {n} people, but two of them, {one} "
             f"and {two}, refuse to serve together. How many committees are "
             f"possible?")
        a = (f"All committees: C({n}, {k}) = {total}. Those containing both: C({n - 2}, {k - 2}) "
             f"= {together}. Allowed: {total} − {together} = {total - together}.")
        return dict(question=q, answer=a, discipline=["STEM", "Mathematics", "Combinatorics"],
                    difficulty=5, grade="undergraduate")
    a1, ratio, terms = r.randint(1, 9), r.choice([2, 3, -2, 0.5]), r.randint(5, 12)
    s_n = a1 * (1 - ratio ** terms) / (1 - ratio)
    q = (f"Find the sum of the first {terms} terms of the geometric sequence whose first term "
         f"is {a1} and whose common ratio is {_num(ratio)}.")
    a = (f"Sₙ = a₁(1 − rⁿ) / (1 − r) = {a1}(1 − ({_num(ratio)})^{terms}) / (1 − {_num(ratio)}) "
         f"= {_num(s_n)}.")
    return dict(question=q, answer=a, discipline=["STEM", "Mathematics", "Algebra"],
                difficulty=4, grade="grade 12")


_POEMS = [("静夜思", "李白"), ("春晓", "孟浩然"), ("登鹳雀楼", "王之涣"), ("望庐山瀑布", "李白"),
          ("江雪", "柳宗元"), ("悯农", "李绅"), ("咏鹅", "骆宾王"), ("相思", "王维"), ("游子吟", "孟郊"),
          ("清明", "杜牧"), ("望岳", "杜甫"), ("春望", "杜甫"), ("枫桥夜泊", "张继"), ("黄鹤楼", "崔颢"),
          ("凉州词", "王翰"), ("出塞", "王昌龄"), ("赋得古原草送别", "白居易"), ("山行", "杜牧")]


def _zh_math(r: random.Random) -> Item:
    name = r.choice(_ZH_NAMES)
    if r.random() < 0.5:
        a, b = r.randint(3, 40), r.randint(2, 30)
        q = r.choice([f"一个长方形的长是{a}厘米，宽是{b}厘米，它的面积是多少平方厘米？",
                      f"{name}量得一块长方形木板长{a}厘米、宽{b}厘米，这块木板的面积是多少？"])
        ans = f"长方形面积 = 长 × 宽 = {a} × {b} = {a * b}（平方厘米）。"
        return dict(question=q, answer=ans, discipline=["STEM", "Mathematics", "Arithmetic"],
                    difficulty=1, grade=f"grade {r.randint(3, 4)}")
    chickens, rabbits = r.randint(1, 30), r.randint(1, 30)
    heads, feet = chickens + rabbits, 2 * chickens + 4 * rabbits
    q = f"笼子里有鸡和兔共{heads}只，一共有{feet}只脚。鸡和兔各有多少只？"
    ans = (f"假设全是鸡，应有{2 * heads}只脚，比实际少{feet - 2 * heads}只；每只兔比鸡多2只脚，"
           f"所以兔有{(feet - 2 * heads) // 2}只，鸡有{chickens}只。")
    return dict(question=q, answer=ans, discipline=["STEM", "Mathematics", "Algebra"],
                difficulty=3, grade=f"grade {r.randint(4, 6)}")


def _zh_misc(r: random.Random) -> Item:
    kind = r.randrange(3)
    if kind == 0:
        poem, author = r.choice(_POEMS)
        q = r.choice([f"《{poem}》的作者是谁？", f"古诗《{poem}》是哪位诗人写的？"])
        a = f"《{poem}》的作者是唐代诗人{author}。"
        return dict(question=q, answer=a,
                    discipline=["Humanities", "Literature", "Classical Chinese Poetry"],
                    difficulty=1, grade=f"grade {r.randint(2, 6)}")
    if kind == 1:
        _, _, _, country, capital = r.choice(_CAPITALS)
        q = r.choice([f"{country}的首都是哪座城市？", f"请问{country}的首都是哪里？"])
        a = f"{country}的首都是{capital}。"
        return dict(question=q, answer=a, discipline=["Social Science", "Geography", "Capitals"],
                    difficulty=1, grade=f"grade {r.randint(4, 7)}")
    v, t = r.choice([40, 50, 60, 72, 80, 90, 100, 120]), r.randint(2, 9)
    q = f"一辆汽车以每小时{v}千米的速度行驶了{t}小时，它一共行驶了多少千米？"
    a = f"路程 = 速度 × 时间 = {v} × {t} = {v * t}（千米）。"
    return dict(question=q, answer=a, discipline=["STEM", "Physics", "Mechanics"],
                difficulty=1, grade=f"grade {r.randint(4, 6)}")


# (generator, weight): numeric templates have large spaces, fact templates small ones.
_TEMPLATES: list[tuple[Callable[[random.Random], Item], float]] = [
    (_arith_change, 6), (_arith_groups, 6), (_percent, 5), (_linear, 7), (_quadratic, 5),
    (_pythagoras, 3), (_circle, 3), (_kinematics, 7), (_optics, 5), (_electricity, 4),
    (_chemistry, 6), (_biology, 3), (_history, 1), (_geography, 1), (_computer_science, 5),
    (_economics, 5), (_zh_math, 9), (_zh_misc, 2), (_hard, 5),
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


def _finish_item(r: random.Random, item: Item) -> Item:
    """Add the generator-side metadata: language, generator, synth type, reasoning."""
    zh = any("\u4e00" <= ch <= "\u9fff" for ch in item["question"])
    item["language"] = "zh" if zh else "en"
    item["generator"] = r.choice(_GENERATORS)
    item["synth_type"] = ("high_difficulty" if item["difficulty"] >= 4 and r.random() < 0.7
                          else r.choice(["seed", "multi_grade", "refined"]))
    if item["generator"] == "deepseek-r1":
        first = item["answer"].split("。")[0].split(". ")[0].rstrip(".")
        item["reasoning"] = (f"让我想一想：{first}。再检查一遍结果。" if zh else
                             f"Let me work through this. {first}. Double-checking the arithmetic "
                             f"before answering.")
    return item


def _items(n_records: int, r: random.Random) -> tuple[list[Item], list[dict[str, str]]]:
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
        item = r.choices(funcs, weights)[0](r)
        if item["question"] in seen:
            continue
        seen.add(item["question"])
        items.append(_finish_item(r, item))
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


def _textbook(r: random.Random, n: int) -> list[dict[str, Any]]:
    facts = ([f"The {o} is responsible for {role}; {d}." for o, role, d in _ORGANELLES]
             + [f"{c} is the capital of {k}, {ctx}." for k, c, ctx, _, _ in _CAPITALS]
             + [f"The worst-case running time of {a} is {c}, because {w}." for a, c, w in _ALGORITHMS]
             + [f"《{p}》是唐代诗人{a}的作品。" for p, a in _POEMS]
             + [f"The molar mass of {name} ({f}) is {m} g/mol." for name, f, m in _COMPOUNDS])
    return [{"text": " ".join(r.sample(facts, r.randint(3, 6))), "source": "boostpack-sample/textbook"}
            for _ in range(n)]


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
    items, truth = _items(n_records, r)
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
    _write_lines(files[3], [_dumps(t) for t in _textbook(r, max(1, n_records // 30))])
    _write_lines(out / REQUESTS_PATH, requests)
    _write_lines(out / TRUTH_PATH, [_dumps(t) for t in truth])
    return files
