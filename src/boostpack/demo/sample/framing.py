"""Generator-style framing: what turns a template's steps into the question and answer a model wrote.

Every item gets a learner's context or a task prefix, an instruction, an opening line, a step
layout, a remark and a closing line, plus the generator-side metadata (model, synthesis type,
reasoning trace), so items differ the way generator output does: same kinds of problems,
different wording.
"""

from __future__ import annotations

import random
import re

from boostpack.demo.sample.template import NAMES, Item

_GENERATORS = ["qwen2.5-72b-instruct", "deepseek-r1", "llama-3.1-70b-instruct", "gpt-4o-mini"]

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

_CJK = re.compile("[\u4e00-\u9fff]")


def render(r: random.Random, item: Item, worked: bool) -> Item:
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
                name=r.choice(NAMES), topic=topic, a_topic=("an " if topic[0] in "aeiou" else "a ") + topic,
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
