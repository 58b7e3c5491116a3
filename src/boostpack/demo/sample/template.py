"""What a topic template returns, and what every template shares.

A template is a function ``(random.Random) -> Item``: it draws a scenario, names and quantities,
and returns the question with its worked answer as ``steps`` and ``final``; ``framing.render``
turns those into the answer text later. Numbers are written as a person writes them.
"""

from __future__ import annotations

from typing import Any

NAMES = ["Maya", "Liam", "Aisha", "Kenji", "Sofia", "Mateo", "Priya", "Noah", "Elena", "Omar",
         "Zara", "Lucas", "Amara", "Chen", "Ivan", "Fatima", "Diego", "Hana", "Tariq", "Ingrid",
         "Jonas", "Leila", "Ravi", "Chloe", "Kwame", "Yuki", "Marco", "Nadia", "Felix", "Rosa",
         "Samir", "Greta", "Tomás", "Ayesha", "Oliver", "Mei", "Daniel", "Imani", "Pablo", "Anya"]
ZH_NAMES = ["小明", "小红", "李华", "王芳", "张伟", "刘洋", "陈静", "赵磊", "周杰", "吴婷", "孙浩",
            "郑爽", "马丽", "黄河", "林晓", "何平"]

Item = dict[str, Any]


def num(x: float) -> str:
    """A value as a person writes it: no trailing zeros, at most 2 decimals."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def money(x: float) -> str:
    return f"${x:,.2f}"


def qa(question: str, steps: list[str], final: str, path: list[str], difficulty: int,
       grade: str, key: str | None = None) -> Item:
    """A template's raw item: the answer is rendered from ``steps`` and ``final`` later."""
    item: Item = dict(question=question, steps=steps, final=final, discipline=path,
                      difficulty=difficulty, grade=grade)
    if key is not None:
        item["key"] = key  # fact templates: one item per fact
    return item


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
