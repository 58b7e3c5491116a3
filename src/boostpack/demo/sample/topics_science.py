"""Science templates: physics, chemistry, biology and computer science."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from boostpack.demo.sample.template import NAMES, Item, num, qa

_VEHICLES = ["car", "cyclist", "train", "scooter", "sprinter", "motorbike", "bus", "skier",
             "delivery van", "electric cart"]
_DROPPED = ["ball", "stone", "wrench", "pear", "coin", "water balloon", "pine cone", "key ring"]
_HEIGHTS = ["a bridge", "a balcony", "a cliff edge", "the top of a tower", "a hot-air balloon",
            "a rooftop", "a tree branch", "a lab ceiling rig"]
_MOVERS = {0.5: "football", 2: "brick", 5: "bowling ball", 10: "sled", 70: "runner",
           1200: "car", 1500: "van", 0.16: "hockey puck", 80: "cyclist with bike"}


def kinematics(r: random.Random) -> Item:
    kind = r.randrange(3)
    if kind == 0:
        v0, v, t = r.choice([0, 0, 2, 4, 5, 10]), r.randint(12, 40), r.randint(2, 12)
        vehicle = r.choice(_VEHICLES)
        start = "from rest" if v0 == 0 else f"from {v0} m/s"
        q = r.choice([f"A {vehicle} accelerates uniformly {start} to {v} m/s in {t} s. What is its acceleration, and how far does it travel meanwhile?",
                      f"Starting {start}, a {vehicle} reaches {v} m/s after {t} seconds of steady acceleration. Find the acceleration and the distance covered."])
        a = (v - v0) / t
        steps = [f"a = (v − v₀)/t = ({v} − {v0}) / {t} = {num(a)} m/s².",
                 f"Distance = (v₀ + v)/2 × t = ({v0} + {v}) / 2 × {t} = {num((v0 + v) / 2 * t)} m."]
        return qa(q, steps, f"{num(a)} m/s², {num((v0 + v) / 2 * t)} m",
                  ["STEM", "Physics", "Mechanics"], 2, f"grade {r.randint(9, 12)}")
    if kind == 1:
        h = r.choice([5, 10, 20, 45, 80, 125, 180, 12, 30, 60, 7, 24, 35, 50])
        obj, high = r.choice(_DROPPED), r.choice(_HEIGHTS)
        q = r.choice([f"A {obj} is dropped from {high}, {h} m above the ground. Ignoring air resistance, how long does it fall and how fast is it going at impact? (g = 9.8 m/s²)",
                      f"From {high} {h} m up, someone lets go of a {obj}. Neglecting drag, find the fall time and the impact speed (use g = 9.8 m/s²)."])
        t = math.sqrt(2 * h / 9.8)
        steps = [f"From h = ½gt²: t = √(2h/g) = √(2 × {h} / 9.8) ≈ {t:.2f} s.",
                 f"v = gt ≈ 9.8 × {t:.2f} ≈ {9.8 * t:.1f} m/s."]
        return qa(q, steps, f"{t:.2f} s, {9.8 * t:.1f} m/s", ["STEM", "Physics", "Mechanics"],
                  3, f"grade {r.randint(9, 12)}")
    m = r.choice(list(_MOVERS))
    v = r.randint(2, 30)
    q = r.choice([f"What is the kinetic energy of a {num(m)} kg {_MOVERS[m]} moving at {v} m/s?",
                  f"A {_MOVERS[m]} of mass {num(m)} kg travels at {v} m/s. Find its kinetic energy and its momentum."])
    steps = [f"KE = ½mv² = ½ × {num(m)} × {v}² = {num(0.5 * m * v * v)} J."]
    if "momentum" in q:
        steps.append(f"p = mv = {num(m)} × {v} = {num(m * v)} kg·m/s.")
    return qa(q, steps, f"{num(0.5 * m * v * v)} J", ["STEM", "Physics", "Mechanics"], 2,
              f"grade {r.randint(9, 12)}")


_MEDIA = [("water", 1.33), ("crown glass", 1.52), ("diamond", 2.42), ("acrylic", 1.49),
          ("ice", 1.31), ("fused quartz", 1.46), ("olive oil", 1.47), ("sapphire", 1.77),
          ("ethanol", 1.36), ("flint glass", 1.62), ("glycerol", 1.47), ("polycarbonate", 1.59),
          ("cubic zirconia", 2.15), ("seawater", 1.34)]
_LIGHTS = ["A ray of light", "A laser beam", "A narrow beam of sunlight", "A red laser pointer's beam",
           "Light from a lamp", "A green laser beam"]
_LENS_OBJECTS = ["candle", "small arrow", "LED", "toy figure", "printed letter", "pencil",
                 "chess piece", "matchstick", "flower", "key"]


def optics(r: random.Random) -> Item:
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
        return qa(q, steps, f"≈ {out:.1f}°", path, 3, grade)
    if kind == 1:
        medium, n = r.choice(_MEDIA)
        crit = math.degrees(math.asin(1 / n))
        q = r.choice([f"What is the critical angle for light going from {medium} (n = {n}) into air?",
                      f"Light travels inside a block of {medium} (n = {n}) toward the air boundary. Above what angle of incidence is it totally internally reflected?"])
        steps = [r.choice(["Total internal reflection starts when the refracted angle reaches 90°.",
                           "At the critical angle, n sin θc = 1 × sin 90°."]),
                 f"sin θc = 1/{n} = {1 / n:.3f}, so θc ≈ {crit:.1f}°."]
        return qa(q, steps, f"≈ {crit:.1f}°", path, 3, grade)
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
    return qa(q, steps, f"{di:.1f} cm, {abs(m) * height:.1f} cm tall, real and inverted", path, 4, grade)


def electricity(r: random.Random) -> Item:
    volt = r.choice([1.5, 3, 4.5, 6, 9, 12, 24, 5, 18])
    device = r.choice(["battery", "bench power supply", "solar panel", "USB adapter", "car battery"])
    kind = r.randrange(3)
    if kind < 2:
        res = r.choice([2, 4, 5, 8, 10, 12, 20, 47, 100, 220, 330, 15, 68, 150])
        if kind == 0:
            q = f"A {res} Ω resistor is connected across a {num(volt)} V {device}. What current flows through it?"
            steps = [f"Ohm's law: I = V / R = {num(volt)} / {res} = {volt / res:.3g} A."]
            final = f"{volt / res:.3g} A"
        else:
            q = f"How much power does a {res} Ω resistor dissipate when connected to a {num(volt)} V {device}?"
            steps = [f"P = V² / R = {num(volt)}² / {res} = {volt * volt / res:.3g} W."]
            final = f"{volt * volt / res:.3g} W"
        if r.random() < 0.5:
            steps.append(f"In one minute that is {volt * volt / res * 60:.3g} J of energy.")
        return qa(q, steps, final, ["STEM", "Physics", "Electricity"], 2, f"grade {r.randint(9, 12)}")
    r1, r2 = r.sample([4, 6, 10, 12, 15, 20, 30, 40, 60], 2)
    series = r.random() < 0.5
    how = "in series" if series else "in parallel"
    total = r1 + r2 if series else r1 * r2 / (r1 + r2)
    q = f"Resistors of {r1} Ω and {r2} Ω are connected {how} to a {num(volt)} V {device}. Find the equivalent resistance and the total current."
    steps = [f"R = {r1} + {r2} = {total:g} Ω." if series else
             f"1/R = 1/{r1} + 1/{r2}, so R = {r1}·{r2}/({r1} + {r2}) = {total:.3g} Ω.",
             f"I = V/R = {num(volt)} / {total:.3g} ≈ {volt / total:.3g} A."]
    return qa(q, steps, f"{total:.3g} Ω, {volt / total:.3g} A", ["STEM", "Physics", "Electricity"],
              3, f"grade {r.randint(10, 12)}")


_MATERIALS = [("water", 4186), ("aluminium", 900), ("copper", 385), ("iron", 450),
              ("olive oil", 1970), ("granite", 790), ("glass", 840), ("ice", 2100)]
_SOLIDS = [("aluminium", 2.7), ("iron", 7.87), ("copper", 8.96), ("oak", 0.75), ("granite", 2.75),
           ("lead", 11.34), ("gold", 19.3), ("cork", 0.24), ("ice", 0.92)]


def energy(r: random.Random) -> Item:
    kind = r.randrange(4)
    if kind == 0:
        mat, c = r.choice(_MATERIALS)
        m, t1 = r.choice([0.2, 0.5, 1, 1.5, 2, 3, 5]), r.randint(5, 30)
        t2 = t1 + r.randint(5, 70)
        heat = m * c * (t2 - t1)
        q = f"How much heat is needed to warm {num(m)} kg of {mat} from {t1} °C to {t2} °C? (c = {c} J/(kg·°C))"
        steps = [f"Q = mcΔT with ΔT = {t2} − {t1} = {t2 - t1} °C.",
                 f"Q = {num(m)} × {c} × {t2 - t1} = {heat:,.0f} J ≈ {heat / 1000:.1f} kJ."]
        return qa(q, steps, f"{heat / 1000:.1f} kJ", ["STEM", "Physics", "Thermodynamics"], 2,
                  f"grade {r.randint(9, 11)}")
    if kind == 1:
        mat, rho = r.choice(_SOLIDS)
        a, b, c = r.randint(2, 12), r.randint(2, 12), r.randint(1, 10)
        mass = rho * a * b * c
        q = f"A block of {mat} (density {rho} g/cm³) measures {a} cm × {b} cm × {c} cm. What is its mass? Will it float in water?"
        steps = [f"Volume = {a} × {b} × {c} = {a * b * c} cm³.",
                 f"m = ρV = {rho} × {a * b * c} = {mass:.1f} g.",
                 f"It {'floats' if rho < 1 else 'sinks'}: its density is {'less' if rho < 1 else 'more'} than water's 1 g/cm³."]
        return qa(q, steps, f"{mass:.1f} g", ["STEM", "Physics", "Mechanics"], 2,
                  f"grade {r.randint(7, 9)}")
    if kind == 2:
        mass, h, t = r.choice([20, 35, 50, 60, 75, 120, 250]), r.randint(2, 30), r.randint(3, 40)
        who = r.choice(["A crane", "A climber", "An elevator motor", "A student", "A winch"])
        work = mass * 9.8 * h
        q = f"{who} lifts a {mass} kg load {h} m straight up in {t} s. How much work is done, and what is the average power?"
        steps = [f"W = mgh = {mass} × 9.8 × {h} = {work:,.0f} J.",
                 f"P = W/t = {work:,.0f} / {t} ≈ {work / t:,.1f} W."]
        return qa(q, steps, f"{work:,.0f} J, {work / t:,.1f} W", ["STEM", "Physics", "Mechanics"],
                  2, f"grade {r.randint(9, 11)}")
    f = r.choice([50, 128, 256, 440, 512, 1000, 2000, 5, 12, 88])
    medium, v = r.choice([("air", 343), ("water", 1480), ("steel", 5960), ("a string", 120),
                          ("helium", 965)])
    q = r.choice([f"A wave of frequency {f} Hz travels through {medium} at {v} m/s. What is its wavelength and period?",
                  f"Find the wavelength of a {f} Hz wave moving at {v} m/s in {medium}, and its period."])
    steps = [f"λ = v/f = {v} / {f} ≈ {v / f:.3g} m.", f"T = 1/f = 1/{f} ≈ {1 / f:.3g} s."]
    return qa(q, steps, f"λ ≈ {v / f:.3g} m, T ≈ {1 / f:.3g} s", ["STEM", "Physics", "Waves"], 2,
              f"grade {r.randint(10, 12)}")


COMPOUNDS = [("water", "H₂O", 18.02), ("carbon dioxide", "CO₂", 44.01),
             ("sodium chloride", "NaCl", 58.44), ("glucose", "C₆H₁₂O₆", 180.16),
             ("ammonia", "NH₃", 17.03), ("methane", "CH₄", 16.04),
             ("calcium carbonate", "CaCO₃", 100.09), ("sulfuric acid", "H₂SO₄", 98.08),
             ("ethanol", "C₂H₅OH", 46.07), ("sodium hydroxide", "NaOH", 40.00),
             ("potassium chloride", "KCl", 74.55), ("magnesium oxide", "MgO", 40.30),
             ("nitric acid", "HNO₃", 63.01), ("sucrose", "C₁₂H₂₂O₁₁", 342.30)]


def chemistry(r: random.Random) -> Item:
    kind = r.randrange(4)
    if kind == 0:
        name, formula, molar = r.choice(COMPOUNDS)
        mass = r.choice([5, 9, 10, 25, 36, 50, 88, 100, 120, 250, 500, 12.5, 75, 3.6])
        q = r.choice([f"How many moles are in {num(mass)} g of {name} ({formula})?",
                      f"Calculate the amount of substance in {num(mass)} grams of {formula}.",
                      f"A sample of {name} has a mass of {num(mass)} g. How many moles and molecules is that?"])
        n = mass / molar
        steps = [f"The molar mass of {formula} is {molar} g/mol.",
                 f"n = m / M = {num(mass)} / {molar} ≈ {n:.3f} mol."]
        if "molecules" in q:
            steps.append(f"Molecules = n × 6.022 × 10²³ ≈ {n * 6.022:.3f} × 10²³.")
        return qa(q, steps, f"{n:.3f} mol", ["STEM", "Chemistry", "Stoichiometry"], 2,
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
        return qa(q, steps, f"pH ≈ {ph:.2f} ({nature})", ["STEM", "Chemistry", "Acids and Bases"],
                  3, f"grade {r.randint(10, 12)}")
    if kind == 2:
        name, formula, _ = r.choice(COMPOUNDS)
        c1, v2 = r.choice([0.5, 1, 2, 3, 6, 12]), r.choice([100, 250, 500, 750, 1000])
        c2 = c1 * r.choice([0.1, 0.2, 0.25, 0.4, 0.5])
        v1 = c2 * v2 / c1
        q = f"How much of a {num(c1)} M {name} stock solution is needed to make {v2} mL of {num(c2)} M solution?"
        steps = ["Moles are conserved on dilution: C₁V₁ = C₂V₂.",
                 f"V₁ = C₂V₂ / C₁ = {num(c2)} × {v2} / {num(c1)} = {num(v1)} mL.",
                 f"Dilute {num(v1)} mL of stock with water to {v2} mL."]
        return qa(q, steps, f"{num(v1)} mL", ["STEM", "Chemistry", "Solutions"], 3,
                  f"grade {r.randint(11, 12)}")
    gas = r.choice(["nitrogen", "oxygen", "helium", "argon", "carbon dioxide", "hydrogen"])
    n, t = r.choice([0.5, 1, 1.5, 2, 2.5, 3, 4]), r.choice([273, 283, 298, 310, 350, 400, 450])
    vol = r.choice([5, 10, 12, 20, 22.4, 25, 40, 50])
    p = n * 8.314 * t / (vol / 1000)
    q = f"{num(n)} mol of {gas} fills a {num(vol)} L container at {t} K. What is the pressure, assuming ideal-gas behaviour?"
    steps = [f"PV = nRT, so P = nRT/V with V = {num(vol)} L = {vol / 1000:g} m³.",
             f"P = {num(n)} × 8.314 × {t} / {vol / 1000:g} ≈ {p / 1000:.1f} kPa."]
    return qa(q, steps, f"≈ {p / 1000:.1f} kPa", ["STEM", "Chemistry", "Gases"], 3,
              f"grade {r.randint(11, 12)}")


ORGANELLES = [
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


def biology(r: random.Random) -> Item:
    kind = r.randrange(3)
    if kind == 0:
        org, role, detail = r.choice(ORGANELLES)
        q = r.choice([f"What is the main function of the {org} in a eukaryotic cell?",
                      f"Describe the role of the {org}.", f"Why is the {org} important to a cell?",
                      f"Which cell structure is responsible for {role}?"])
        steps = [f"The {org} is responsible for {role}.", f"Structurally, {detail}."]
        return qa(q, steps, f"the {org}: {role}", ["STEM", "Biology", "Cell Biology"],
                  r.choice([1, 2]), f"grade {r.randint(7, 10)}", key=f"organelle:{org}")
    if kind == 1:
        org, dom, rec, trait = r.choice(_TRAITS)
        cross, frac, ratio = r.choice(_CROSSES)
        offspring = r.randint(20, 800)
        who = r.choice(["A breeder", "A geneticist", "A student", "A farmer", r.choice(NAMES)])
        q = r.choice([f"In {org}, {dom} {trait} (A) is dominant over {rec} (a). {who} crosses {cross} and gets {offspring} offspring. About how many show the {rec} phenotype?",
                      f"{who} studies {trait} in {org}: {dom} (A) is dominant, {rec} (a) recessive. Of {offspring} offspring from the cross {cross}, how many are expected to be {rec}?"])
        steps = [r.choice([f"Only aa individuals are {rec}.", f"The {rec} phenotype needs two recessive alleles (aa)."]),
                 f"A Punnett square for {cross} gives {ratio}, so P(aa) = {frac}.",
                 f"Expected {rec}: {frac} × {offspring} ≈ {round(frac * offspring)}."]
        return qa(q, steps, f"about {round(frac * offspring)}", ["STEM", "Biology", "Genetics"], 3,
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
    return qa(q, steps, f"p = {p:.2f}, q = {q_rec:.2f}, ≈ {round(2 * p * q_rec * pop):,} heterozygotes",
              ["STEM", "Biology", "Genetics"], 4, r.choice(["grade 12", "undergraduate"]))


ALGORITHMS = [
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


def computer_science(r: random.Random) -> Item:
    kind = r.randrange(6)
    if kind == 0:
        alg, cost, why = r.choice(ALGORITHMS)
        q = r.choice([f"What is the worst-case time complexity of {alg}?",
                      f"In big-O notation, how long does {alg} take in the worst case?",
                      f"Explain the worst-case running time of {alg}."])
        return qa(q, [f"The worst case is {cost}.", f"Reason: {why}."], cost,
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
        return qa(q, steps, format(value, fmt), ["STEM", "Computer Science", "Number Systems"], 2,
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
        return qa(q, steps, str(count), ["STEM", "Computer Science", "Algorithms"], 3,
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
    return qa(q, [f"It evaluates to {val}.", f"Why: {why}."], str(val),
              ["STEM", "Computer Science", "Programming"], 2, "undergraduate")
