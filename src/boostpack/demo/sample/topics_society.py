"""Social science and humanities templates: personal finance, history, geography, economics.

History and geography are fact templates: each fact (an event, a capital) gives one item.
"""

from __future__ import annotations

import math
import random

from boostpack.demo.sample.template import NAMES, Item, money, num, ordinal, qa


def interest(r: random.Random) -> Item:
    principal = r.choice([500, 800, 1000, 1200, 1500, 2000, 2500, 3000, 5000, 7500, 10000])
    rate, years = r.choice([1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7]), r.randint(2, 10)
    who = r.choice(NAMES)
    why = r.choice(["for college", "for a car", "from a summer job", "from a gift",
                    "for a trip", "as an emergency fund", "from selling artwork"])
    if r.random() < 0.5:
        earned = principal * rate / 100 * years
        q = f"{who} deposits ${principal:,} saved {why} at {num(rate)}% simple interest per year. How much interest is earned after {years} years?"
        steps = [f"I = P × r × t = {principal} × {rate / 100:g} × {years}.",
                 f"I = ${num(earned)}; the balance is then ${num(principal + earned)}."]
        final = money(earned)
        d = 2
    else:
        amount = principal * (1 + rate / 100) ** years
        q = f"{who} invests ${principal:,} saved {why} at {num(rate)}% interest compounded yearly. What is it worth after {years} years?"
        steps = [f"A = P(1 + r)^t = {principal} × {1 + rate / 100:g}^{years}.",
                 f"{1 + rate / 100:g}^{years} ≈ {(1 + rate / 100) ** years:.4f}, so A ≈ {money(amount)}."]
        final = money(amount)
        d = 3
    return qa(q, steps, final, ["Social Science", "Economics", "Personal Finance"], d,
              f"grade {r.randint(8, 11)}")


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


def history(r: random.Random) -> Item:
    event, year, ctx = r.choice(_EVENTS)
    q = r.choice([f"In which year did {event}?", f"When did {event}? Give the year.",
                  f"What year did {event}, and what was its significance?"])
    steps = [f"It happened in {year}, {ctx}.",
             f"That places it in the {ordinal(year // 100 + 1)} century."]
    return qa(q, steps, str(year), ["Humanities", "History", "World History"], r.choice([1, 2]),
              r.choice(["grade 8", "grade 10", "high school"]), key=f"event:{year}")


CAPITALS = [
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


def geography(r: random.Random) -> Item:
    country, capital, ctx, _, _ = r.choice(CAPITALS)
    q = r.choice([f"What is the capital of {country}?", f"Which city is the capital of {country}?",
                  f"Name the capital city of {country} and say where it lies."])
    steps = [f"The capital of {country} is {capital}, {ctx}."]
    return qa(q, steps, capital, ["Social Science", "Geography", "Capitals"], 1,
              r.choice(["grade 5", "grade 6", "grade 7"]), key=f"capital:{country}")


_GOODS_DEMAND = ["coffee", "movie tickets", "gasoline", "bread", "concert seats", "wool",
                 "electric scooters", "bus passes", "avocados", "smartphones", "gym memberships"]
_FIRMS = [("a bakery", "loaves"), ("a furniture workshop", "chairs"), ("a print shop", "posters"),
          ("a brewery", "cases"), ("a bike maker", "bicycles"), ("a candle studio", "candles")]


def economics(r: random.Random) -> Item:
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
        return qa(q, steps, f"≈ {e:.2f} ({kind_e})", ["Social Science", "Economics", "Microeconomics"],
                  3, "undergraduate")
    if kind == 1:
        nominal, deflator = r.randint(500, 25000), r.choice([95, 102, 104, 110, 115, 120, 125, 130])
        year = r.randint(2005, 2024)
        q = f"In {year} a country's nominal GDP is ${nominal:,} billion and its GDP deflator is {deflator}. What is its real GDP?"
        steps = ["Real GDP = nominal GDP ÷ (deflator / 100).",
                 f"{nominal:,} ÷ {deflator / 100:g} ≈ ${nominal * 100 / deflator:,.1f} billion."]
        return qa(q, steps, f"${nominal * 100 / deflator:,.1f} billion",
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
        return qa(q, steps, f"{be} {units}", ["Social Science", "Economics", "Microeconomics"], 2,
                  "grade 12")
    cpi1 = r.randint(180, 300) + r.randint(0, 9) / 10
    cpi2 = round(cpi1 * (1 + r.randint(-10, 90) / 1000), 1)
    y = r.randint(2001, 2023)
    infl = (cpi2 - cpi1) / cpi1 * 100
    q = f"The consumer price index was {cpi1} in {y} and {cpi2} in {y + 1}. What was the inflation rate?"
    steps = ["Inflation = (CPI₂ − CPI₁) / CPI₁ × 100%.",
             f"({cpi2} − {cpi1}) / {cpi1} × 100% ≈ {infl:.2f}%."]
    return qa(q, steps, f"{infl:.2f}%", ["Social Science", "Economics", "Macroeconomics"], 2,
              "grade 12")
