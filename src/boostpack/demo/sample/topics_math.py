"""Mathematics templates: arithmetic, algebra, geometry, statistics, probability, calculus."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from boostpack.demo.sample.template import NAMES, Item, num, ordinal, qa

_SHOPS = ["the school shop", "a farmers' market stall", "the corner bakery", "a museum gift shop",
          "the campus bookstore", "a hardware store", "the train station kiosk", "a garden center",
          "the stationery store", "a street fair booth", "the cinema snack bar", "a sports shop"]
_GOODS = [("pencils", 0.75), ("notebooks", 2.5), ("stickers", 1.25), ("juice boxes", 1.5),
          ("trading cards", 3.0), ("markers", 1.8), ("bus tickets", 2.75), ("apples", 0.6),
          ("bagels", 1.35), ("postcards", 0.9), ("seed packets", 2.2), ("tennis balls", 1.95),
          ("keychains", 3.4), ("muffins", 2.15), ("erasers", 0.45), ("paint brushes", 4.1),
          ("bottles of water", 1.1), ("croissants", 2.6), ("light bulbs", 3.75), ("pretzels", 1.65)]


def arith_change(r: random.Random) -> Item:
    name, shop = r.choice(NAMES), r.choice(_SHOPS)
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
    return qa(q, steps, f"${bill - total:.2f}", ["STEM", "Mathematics", "Arithmetic"],
              1 if not n2 else 2, f"grade {r.randint(3, 5)}")


_CONTAINERS = [("crate", "oranges"), ("carton", "eggs"), ("tray", "muffins"), ("shelf", "books"),
               ("jar", "marbles"), ("bag", "seedlings"), ("box", "crayons"), ("basket", "pears"),
               ("bin", "bolts"), ("pack", "batteries"), ("sleeve", "tennis balls"), ("bucket", "clams")]
_SETTINGS = ["for the school fair", "before the weekend market", "for a charity drive",
             "at the community garden", "for the class party", "at the family shop",
             "for a scout fundraiser", "after the harvest", "for the library sale",
             "at the recycling center"]


def arith_groups(r: random.Random) -> Item:
    name, setting = r.choice(NAMES), r.choice(_SETTINGS)
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
    return qa(q, steps, f"{left} {things}", ["STEM", "Mathematics", "Arithmetic"],
              1 if total < 100 else 2, f"grade {r.randint(3, 6)}")


_PRODUCTS = ["jacket", "bicycle", "pair of headphones", "desk lamp", "backpack", "board game",
             "tennis racket", "blender", "winter coat", "camera", "skateboard", "coffee maker",
             "guitar", "pair of hiking boots", "tablet", "microwave", "office chair", "telescope"]


def percent(r: random.Random) -> Item:
    product = r.choice(_PRODUCTS)
    price, off = r.randint(12, 480), r.choice([10, 15, 20, 25, 30, 35, 40, 50, 60])
    sale = price * (100 - off) / 100
    tax = r.choice([0, 0, 5, 6, 7, 8, 8.5, 10])
    q = r.choice([
        f"A {product} originally costs ${price}. It is on sale for {off}% off. What is the sale price?",
        f"During a clearance, a store takes {off}% off a {product} listed at ${price}. How much does it cost now?",
        f"What do you pay for a ${price} {product} after a {off}% discount?",
        f"{r.choice(NAMES)} wants a {product} tagged ${price}. This week it is marked down {off}%. What is the new price?",
    ])
    steps = [r.choice([f"The discount is {off}% of ${price} = ${num(price * off / 100)}.",
                       f"{off}% × ${price} = ${num(price * off / 100)} off."]),
             r.choice([f"Sale price: ${price} − ${num(price * off / 100)} = ${num(sale)}.",
                       f"Equivalently, pay {100 - off}% of ${price}: {(100 - off) / 100:g} × {price} = ${num(sale)}."])]
    final = f"${num(sale)}"
    if tax:
        q += f" A {num(tax)}% sales tax is then added; what is the total?"
        total = sale * (1 + tax / 100)
        steps.append(f"With {num(tax)}% tax: ${num(sale)} × {1 + tax / 100:g} ≈ ${total:.2f}.")
        final = f"${num(sale)} before tax, ${total:.2f} with tax"
    return qa(q, steps, final, ["STEM", "Mathematics", "Arithmetic"], 2 if not tax else 3,
              f"grade {r.randint(6, 7)}")


def linear(r: random.Random) -> Item:
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
    return qa(q, steps, f"x = {x}", ["STEM", "Mathematics", "Algebra"], 2,
              f"grade {r.randint(7, 9)}")


def _poly(s: int, p: int) -> str:
    return "x²" + (f" + {s}x" if s > 0 else f" − {-s}x" if s < 0 else "") + \
        (f" + {p}" if p > 0 else f" − {-p}" if p < 0 else "")


def quadratic(r: random.Random) -> Item:
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
    return qa(q, steps, f"x = {r1} or x = {r2}", ["STEM", "Mathematics", "Algebra"],
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


def pythagoras(r: random.Random) -> Item:
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
    return qa(q, steps, f"{c} {unit}", ["STEM", "Mathematics", "Geometry"], 2,
              f"grade {r.randint(8, 9)}")


_ROUND_THINGS = ["circular track", "round table", "pizza", "circular pond", "bicycle wheel",
                 "round garden bed", "coin", "circular rug", "water tank lid", "clock face",
                 "roundabout", "trampoline"]


def circle(r: random.Random) -> Item:
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
                         f"Numerically, A ≈ {num(math.pi * rad * rad)} {unit}²."]
        final = f"{rad * rad}π ≈ {num(math.pi * rad * rad)} {unit}²"
    elif what == 1:
        q = r.choice([f"A {thing} has {size}. What is its circumference?",
                      f"How far is it once around the edge of a {thing} with {size}?"])
        steps = [*first, f"C = 2πr = 2π × {rad} = {2 * rad}π {unit}.",
                         f"C ≈ {num(2 * math.pi * rad)} {unit}."]
        final = f"{num(2 * math.pi * rad)} {unit}"
    else:
        angle = r.choice([30, 45, 60, 72, 90, 120, 135, 150])
        q = f"A {thing} with {size} is cut into a sector with a central angle of {angle}°. What is the sector's area?"
        area = math.pi * rad * rad * angle / 360
        steps = [*first, f"The sector is {angle}/360 = {Fraction(angle, 360)} of the circle.",
                         f"Area = {Fraction(angle, 360)} × π × {rad}² ≈ {num(area)} {unit}²."]
        final = f"≈ {num(area)} {unit}²"
    return qa(q, steps, final, ["STEM", "Mathematics", "Geometry"], 1 if what < 2 else 2,
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


def statistics(r: random.Random) -> Item:
    label, unit, lo, hi = r.choice(_DATASETS)
    values = [r.randint(lo, hi) for _ in range(r.randint(5, 9))]
    ordered = sorted(values)
    n = len(values)
    mean = sum(values) / n
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    who = r.choice(["A teacher", "A coach", "A student", "A researcher", "A club secretary",
                    r.choice(NAMES)])
    data = ", ".join(map(str, values))
    q = r.choice([f"{who} recorded these {label}: {data}. Find the mean and the median.",
                  f"Here are {n} {label}: {data}. What are the mean, median and range?",
                  f"Compute the average and the median of the following {label}: {data}."])
    steps = [f"Sum: {' + '.join(map(str, values))} = {sum(values)}.",
             f"Mean = {sum(values)} ÷ {n} ≈ {num(mean)} {unit}.",
             f"Sorted: {', '.join(map(str, ordered))}; the median is {num(median)} {unit}."]
    if "range" in q:
        steps.append(f"Range = {ordered[-1]} − {ordered[0]} = {ordered[-1] - ordered[0]}.")
    return qa(q, steps, f"mean ≈ {num(mean)}, median = {num(median)}",
              ["STEM", "Mathematics", "Statistics"], 2, f"grade {r.randint(6, 8)}")


_COLORS = ["red", "blue", "green", "yellow", "white", "black", "purple", "orange"]
_CONTAINS = [("bag", "marbles"), ("jar", "jelly beans"), ("box", "pens"), ("bowl", "candies"),
             ("drawer", "socks"), ("sack", "balls"), ("tin", "buttons"), ("basket", "yarn balls")]


def probability(r: random.Random) -> Item:
    holder, things = r.choice(_CONTAINS)
    c1, c2, c3 = r.sample(_COLORS, 3)
    n1, n2, n3 = r.randint(1, 12), r.randint(1, 12), r.randint(0, 9)
    total = n1 + n2 + n3
    mix = f"{n1} {c1}, {n2} {c2}" + (f" and {n3} {c3}" if n3 else "")
    if r.random() < 0.5:
        q = r.choice([f"A {holder} contains {mix} {things}. One is drawn at random. What is the probability that it is {c1}?",
                      f"{r.choice(NAMES)} reaches into a {holder} holding {mix} {things} and takes one without looking. How likely is a {c1} one?"])
        p = Fraction(n1, total)
        steps = [f"There are {total} {things} in all, {n1} of them {c1}.",
                 f"P({c1}) = {n1}/{total}" + (f" = {p}" if p.denominator != total else "") + f" ≈ {float(p):.3f}."]
        return qa(q, steps, str(p), ["STEM", "Mathematics", "Probability"], 2,
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
    return qa(q, steps, str(p), ["STEM", "Mathematics", "Probability"], 3, "grade 10")


_TICKETS = [("adult", "child", "tickets to a play"), ("large", "small", "pizzas for a party"),
            ("hardcover", "paperback", "books at a fair"), ("premium", "standard", "seats at a concert"),
            ("student", "senior", "museum passes"), ("long", "short", "bus rides on a transit card"),
            ("red", "white", "roses for a wedding"), ("full-day", "half-day", "bike rentals")]


def system(r: random.Random) -> Item:
    big, small, what = r.choice(_TICKETS)
    pa, pb = r.randint(6, 30), r.randint(2, 15)
    if pa == pb:
        pa += 3
    x, y = r.randint(3, 60), r.randint(3, 60)
    n, cost = x + y, pa * x + pb * y
    q = r.choice([f"A group bought {n} {what}: {big} ones cost ${pa} and {small} ones ${pb}. They paid ${cost} in total. How many of each did they buy?",
                  f"{r.choice(NAMES)} spent ${cost} on {n} {what}. {big.capitalize()} ones cost ${pa} each and {small} ones ${pb} each. How many {big} ones were there?"])
    steps = [f"Let a be the number of {big} and b the number of {small}: a + b = {n} and {pa}a + {pb}b = {cost}.",
             f"Substitute b = {n} − a: {pa}a + {pb}({n} − a) = {cost}, so {pa - pb}a = {cost - pb * n}.",
             f"a = {x} and b = {n} − {x} = {y}."]
    return qa(q, steps, f"{x} {big} and {y} {small}", ["STEM", "Mathematics", "Algebra"], 3,
              f"grade {r.randint(8, 10)}")


_TRIPS = [("drives", "km", "km/h", 40, 110), ("cycles", "km", "km/h", 12, 30),
          ("walks", "km", "km/h", 3, 6), ("sails", "nautical miles", "knots", 5, 20),
          ("flies", "km", "km/h", 500, 900), ("runs", "km", "km/h", 8, 16),
          ("rides the train", "miles", "mph", 50, 120), ("paddles a kayak", "km", "km/h", 4, 9)]
_PLACES = ["the lake", "a family farm", "the next town", "the coast", "a trailhead",
           "the stadium", "the airport", "a mountain hut", "the harbor", "the university campus"]


def rate(r: random.Random) -> Item:
    name, place = r.choice(NAMES), r.choice(_PLACES)
    verb, dist_u, speed_u, lo, hi = r.choice(_TRIPS)
    speed, hours = r.randint(lo, hi), r.choice([0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6])
    dist = speed * hours
    span = f"{num(hours)} hour{'' if hours == 1 else 's'}"
    kind = r.randrange(3)
    if kind == 0:
        q = f"{name} {verb} to {place} at an average {speed} {speed_u} for {num(hours)} h. How far is it?"
        steps = [f"distance = speed × time = {speed} × {num(hours)} = {num(dist)} {dist_u}."]
        final = f"{num(dist)} {dist_u}"
    elif kind == 1:
        q = f"{name} {verb} {num(dist)} {dist_u} to {place} in {span}. What is the average speed?"
        steps = [f"speed = distance ÷ time = {num(dist)} ÷ {num(hours)} = {speed} {speed_u}."]
        final = f"{speed} {speed_u}"
    else:
        q = f"How long does it take {name}, who {verb} at {speed} {speed_u}, to cover the {num(dist)} {dist_u} to {place}?"
        steps = [f"time = distance ÷ speed = {num(dist)} ÷ {speed} = {num(hours)} h.",
                 f"That is {int(hours * 60)} minutes."]
        final = span
    return qa(q, steps, final, ["STEM", "Mathematics", "Arithmetic"], 1, f"grade {r.randint(5, 7)}")


_BOXES = ["shipping box", "fish tank", "sandbox", "storage bin", "swimming pool",
          "raised garden bed", "cereal box", "brick"]
_CYLS = ["water tank", "soup can", "paint bucket", "grain silo", "candle", "drinking glass",
         "oil drum", "rain barrel"]


def volume(r: random.Random) -> Item:
    unit = r.choice(["cm", "m", "in", "ft"])
    if r.random() < 0.5:
        thing = r.choice(_BOXES)
        length, w, h = r.randint(2, 40), r.randint(2, 30), r.randint(1, 25)
        q = r.choice([f"A {thing} measures {length} {unit} by {w} {unit} by {h} {unit}. What is its volume?",
                      f"What volume does a {thing} {length} {unit} long, {w} {unit} wide and {h} {unit} deep hold?"])
        steps = [f"V = length × width × height = {length} × {w} × {h}.", f"V = {length * w * h} {unit}³."]
        if r.random() < 0.5:
            steps.append(f"Its surface area is 2({length}·{w} + {length}·{h} + {w}·{h}) = {2 * (length * w + length * h + w * h)} {unit}².")
        return qa(q, steps, f"{length * w * h} {unit}³", ["STEM", "Mathematics", "Geometry"], 2,
                  f"grade {r.randint(6, 8)}")
    thing = r.choice(_CYLS)
    rad, h = r.randint(1, 20), r.randint(2, 40)
    q = r.choice([f"A {thing} is a cylinder with radius {rad} {unit} and height {h} {unit}. Find its volume.",
                  f"How much does a cylindrical {thing} hold if it is {h} {unit} tall with a {2 * rad} {unit} diameter?"])
    vol = math.pi * rad * rad * h
    steps = [f"V = πr²h = π × {rad}² × {h} = {rad * rad * h}π.", f"V ≈ {num(vol)} {unit}³."]
    return qa(q, steps, f"≈ {num(vol)} {unit}³", ["STEM", "Mathematics", "Geometry"], 3,
              f"grade {r.randint(8, 10)}")


_FRACTION_USES = ["of a pizza", "of a cup of flour", "of the garden", "of a tank of fuel",
                  "of the class", "of a mile", "of the budget", "of a chocolate bar",
                  "of the playlist", "of a roll of ribbon"]


def fractions(r: random.Random) -> Item:
    a, b = Fraction(r.randint(1, 7), r.randint(2, 9)), Fraction(r.randint(1, 7), r.randint(2, 12))
    use, name = r.choice(_FRACTION_USES), r.choice(NAMES)
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
    return qa(q, steps, str(res), ["STEM", "Mathematics", "Arithmetic"], 2, f"grade {r.randint(4, 6)}")


_ROWS = [("a theater", "seats"), ("a stadium section", "seats"), ("a pyramid of cans", "cans"),
         ("a brick wall pattern", "bricks"), ("an orchard", "trees"), ("a lecture hall", "chairs")]


def sequence(r: random.Random) -> Item:
    d, n = r.choice([-7, -5, -3, -2, 2, 3, 4, 5, 6, 8, 9, 11]), r.randint(8, 60)
    if r.random() < 0.4:
        place, things = r.choice(_ROWS)
        d, a1 = abs(d), r.randint(8, 30)
        q = (f"In {place}, row 1 has {a1} {things} and each row has {d} more than the row "
             f"before it. How many {things} are in row {n}, and how many in the first {n} rows altogether?")
    else:
        a1 = r.randint(-20, 30)
        first = ", ".join(str(a1 + i * d) for i in range(4))
        q = (f"The arithmetic sequence {first}, … continues. Find its {ordinal(n)} term and "
             f"the sum of its first {n} terms.")
    an = a1 + (n - 1) * d
    s = n * (a1 + an) // 2
    steps = [f"Common difference d = {d}, first term a₁ = {a1}.",
             f"aₙ = a₁ + (n − 1)d = {a1} + {n - 1} × {d} = {an}.",
             f"Sₙ = n(a₁ + aₙ)/2 = {n} × ({a1} + {an}) / 2 = {s}."]
    return qa(q, steps, f"a_{n} = {an}, S_{n} = {s}", ["STEM", "Mathematics", "Algebra"], 3,
              f"grade {r.randint(10, 12)}")


def derivative(r: random.Random) -> Item:
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
    return qa(q, steps, f"f′({x0}) = {slope}", ["STEM", "Mathematics", "Calculus"], 4,
              r.choice(["grade 12", "undergraduate"]))
