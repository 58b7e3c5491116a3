"""High-difficulty templates: projectile motion, combinatorics, optimization, geometric series."""

from __future__ import annotations

import math
import random

from boostpack.demo.sample.template import NAMES, Item, num, qa

_LAUNCHED = ["A projectile", "A football", "A golf ball", "A stone from a catapult", "A water jet",
             "A cannonball in a museum demonstration", "A tennis ball from a ball machine",
             "A model rocket's spent stage", "A javelin"]
_PENS = [("a rectangular goat pen", "a barn wall"), ("a vegetable plot", "a fence already there"),
         ("a play area", "the side of a house"), ("a chicken run", "a stone wall"),
         ("a storage yard", "a warehouse wall"), ("a dog run", "a garage wall")]


def hard(r: random.Random) -> Item:
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
        return qa(q, steps, f"T ≈ {t:.2f} s, R ≈ {rng_m:.1f} m, H ≈ {h:.1f} m",
                  ["STEM", "Physics", "Mechanics"], 5, "undergraduate")
    if kind == 1:
        n, k = r.randint(8, 20), r.randint(3, 6)
        total, together = math.comb(n, k), math.comb(n - 2, k - 2)
        one, two = r.sample(NAMES, 2)
        body = r.choice(["committee", "project team", "jury panel", "debate squad", "study group",
                         "relay team", "planning board"])
        q = r.choice([f"A {body} of {k} is chosen from {n} people, but two of them, {one} and {two}, refuse to serve together. How many {body}s are possible?",
                      f"How many ways are there to pick a {k}-person {body} from {n} candidates if {one} and {two} cannot both be on it?"])
        steps = [f"All choices: C({n}, {k}) = {total}.",
                 f"Choices containing both {one} and {two}: fill the other {k - 2} seats from {n - 2}, C({n - 2}, {k - 2}) = {together}.",
                 f"Allowed: {total} − {together} = {total - together}."]
        return qa(q, steps, str(total - together), ["STEM", "Mathematics", "Combinatorics"], 5,
                  "undergraduate")
    if kind == 2:
        fence = r.randint(12, 400)
        pen, wall = r.choice(_PENS)
        who = r.choice(NAMES)
        q = (f"{who} has {fence} m of fencing to enclose {pen}, using {wall} as one side. "
             f"What dimensions give the largest area, and what is that area?")
        steps = [f"Let x be each side perpendicular to the wall; the side parallel to it is {fence} − 2x.",
                 f"A(x) = x({fence} − 2x) = {fence}x − 2x², so A′(x) = {fence} − 4x = 0 at x = {num(fence / 4)}.",
                 f"The parallel side is {num(fence / 2)} m and A = {num(fence / 4)} × {num(fence / 2)} = {num(fence * fence / 8)} m²."]
        return qa(q, steps, f"{num(fence / 4)} m × {num(fence / 2)} m, {num(fence * fence / 8)} m²",
                  ["STEM", "Mathematics", "Calculus"], 5, "grade 12")
    a1, ratio, terms = r.randint(1, 9), r.choice([2, 3, -2, 0.5, -3, 1.5]), r.randint(5, 12)
    s_n = a1 * (1 - ratio ** terms) / (1 - ratio)
    q = r.choice([f"Find the sum of the first {terms} terms of the geometric sequence whose first term is {a1} and whose common ratio is {num(ratio)}.",
                  f"A geometric series starts at {a1} and each term is {num(ratio)} times the previous one. What do its first {terms} terms add up to?"])
    steps = [f"Sₙ = a₁(1 − rⁿ) / (1 − r) with a₁ = {a1}, r = {num(ratio)}, n = {terms}.",
             f"({num(ratio)})^{terms} = {num(ratio ** terms)}.",
             f"S = {a1} × (1 − {num(ratio ** terms)}) / (1 − {num(ratio)}) = {num(s_n)}."]
    return qa(q, steps, num(s_n), ["STEM", "Mathematics", "Algebra"], 4, "grade 12")
