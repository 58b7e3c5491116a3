"""Chinese templates: primary-school mathematics, and facts (poets of Tang poems, capitals)."""

from __future__ import annotations

import random
from fractions import Fraction

from boostpack.demo.sample.template import ZH_NAMES, Item, num, qa
from boostpack.demo.sample.topics_society import CAPITALS

POEMS = [("静夜思", "李白"), ("春晓", "孟浩然"), ("登鹳雀楼", "王之涣"), ("望庐山瀑布", "李白"),
         ("江雪", "柳宗元"), ("悯农", "李绅"), ("咏鹅", "骆宾王"), ("相思", "王维"), ("游子吟", "孟郊"),
         ("清明", "杜牧"), ("望岳", "杜甫"), ("春望", "杜甫"), ("枫桥夜泊", "张继"), ("黄鹤楼", "崔颢"),
         ("凉州词", "王翰"), ("出塞", "王昌龄"), ("赋得古原草送别", "白居易"), ("山行", "杜牧")]
_ZH_SHAPES = [("长方形木板", "块"), ("长方形菜地", "块"), ("长方形桌面", "张"), ("长方形操场", "个"),
              ("长方形花坛", "个"), ("长方形窗户", "扇")]
_ZH_GOODS = [("笔记本", "本"), ("铅笔", "支"), ("苹果", "千克"), ("足球", "个"), ("故事书", "本"),
             ("牛奶", "盒"), ("围巾", "条"), ("台灯", "盏")]


def zh_math(r: random.Random) -> Item:
    name = r.choice(ZH_NAMES)
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
        return qa(q, steps, final, path, 1, f"grade {r.randint(3, 4)}")
    if kind == 1:
        chickens, rabbits = r.randint(1, 40), r.randint(1, 40)
        heads, feet = chickens + rabbits, 2 * chickens + 4 * rabbits
        q = r.choice([f"笼子里有鸡和兔共{heads}只，一共有{feet}只脚。鸡和兔各有多少只？",
                      f"{name}家养了鸡和兔，数一数共有{heads}个头、{feet}条腿。鸡、兔各几只？"])
        steps = [f"假设全是鸡，应有{2 * heads}只脚，比实际少{feet - 2 * heads}只。",
                 f"每只兔比鸡多2只脚，所以兔有{feet - 2 * heads}÷2 = {rabbits}只，鸡有{heads} − {rabbits} = {chickens}只。"]
        return qa(q, steps, f"鸡{chickens}只，兔{rabbits}只", ["STEM", "Mathematics", "Algebra"], 3,
                  f"grade {r.randint(4, 6)}")
    if kind == 2:
        good, unit = r.choice(_ZH_GOODS)
        price, zhe = r.randint(8, 300), r.choice([5, 6, 7, 7.5, 8, 8.5, 9])
        sale = price * zhe / 10
        q = f"一种{good}原价{price}元，现在打{num(zhe)}折出售，{name}买了一{unit}，比原价便宜了多少元？"
        steps = [f"打{num(zhe)}折就是按原价的{num(zhe * 10)}%出售：{price} × {num(zhe * 10)}% = {num(sale)}（元）。",
                 f"便宜了{price} − {num(sale)} = {num(price - sale)}（元）。"]
        return qa(q, steps, f"{num(price - sale)}元", path, 2, f"grade {r.randint(5, 6)}")
    if kind == 3:
        da, db = r.choice([(10, 15), (12, 6), (20, 30), (8, 24), (15, 10), (6, 3), (18, 9), (24, 12)])
        job = r.choice(["修一条路", "完成一批零件", "抄写一份材料", "粉刷一面墙", "清理一片草地"])
        days = Fraction(da * db, da + db)
        q = f"{job}，甲队单独做要{da}天完成，乙队单独做要{db}天完成。两队合作，需要多少天完成？"
        steps = [f"甲每天完成1/{da}，乙每天完成1/{db}，合作每天完成1/{da} + 1/{db} = {Fraction(1, da) + Fraction(1, db)}。",
                 f"所需天数：1 ÷ {Fraction(1, da) + Fraction(1, db)} = {days}（天）。"]
        return qa(q, steps, f"{days}天", path, 3, f"grade {r.randint(5, 6)}")
    if kind == 4:
        scores = [r.randint(60, 100) for _ in range(r.randint(4, 7))]
        subject = r.choice(["数学", "语文", "英语", "科学", "跳绳（个/分）", "体育"])
        q = f"{name}最近几次{subject}测验的成绩是：{'、'.join(map(str, scores))}。平均成绩是多少？"
        steps = [f"总分：{' + '.join(map(str, scores))} = {sum(scores)}。",
                 f"平均数：{sum(scores)} ÷ {len(scores)} ≈ {num(sum(scores) / len(scores))}。"]
        return qa(q, steps, num(sum(scores) / len(scores)), ["STEM", "Mathematics", "Statistics"],
                  2, f"grade {r.randint(4, 6)}")
    v1, v2, t = r.randint(40, 90), r.randint(30, 80), r.randint(2, 6)
    a, b = r.sample(["甲地", "乙地", "北京", "天津", "学校", "公园", "车站", "码头"], 2)
    q = f"一辆客车和一辆货车同时从{a}和{b}相对开出，客车每小时行{v1}千米，货车每小时行{v2}千米，{t}小时后相遇。两地相距多少千米？"
    steps = [f"速度和：{v1} + {v2} = {v1 + v2}（千米/时）。",
             f"路程 = 速度和 × 相遇时间 = {v1 + v2} × {t} = {(v1 + v2) * t}（千米）。"]
    return qa(q, steps, f"{(v1 + v2) * t}千米", ["STEM", "Physics", "Mechanics"], 2,
              f"grade {r.randint(4, 6)}")


def zh_misc(r: random.Random) -> Item:
    if r.random() < 0.5:
        poem, author = r.choice(POEMS)
        q = r.choice([f"《{poem}》的作者是谁？", f"古诗《{poem}》是哪位诗人写的？"])
        return qa(q, [f"《{poem}》的作者是唐代诗人{author}。"], author,
                  ["Humanities", "Literature", "Classical Chinese Poetry"], 1,
                  f"grade {r.randint(2, 6)}", key=f"poem:{poem}")
    _, _, _, country, capital = r.choice(CAPITALS)
    q = r.choice([f"{country}的首都是哪座城市？", f"请问{country}的首都是哪里？"])
    return qa(q, [f"{country}的首都是{capital}。"], capital,
              ["Social Science", "Geography", "Capitals"], 1, f"grade {r.randint(4, 7)}",
              key=f"zh-capital:{country}")
