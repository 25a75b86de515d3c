"""Demo data: a deterministic generator that every app extends with its own step.

``manage.py demo --size demo|province --seed N`` runs the registered steps in order. Each step
receives a :class:`DemoContext` (size, seeded random generator, and a dict where steps leave what
later steps need, e.g. the org units and the managers).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌玉兰俊峰海波宁晨雪梅鹏飞宇浩然思远嘉怡欣"
    "悦子涵雨泽博文晓东立新春燕佳琪"
)


@dataclass
class DemoContext:
    size: str
    rng: random.Random
    password: str
    data: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (account, role, note)

    def person_name(self) -> str:
        n = 1 if self.rng.random() < 0.4 else 2
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(n))


DemoStep = Callable[[DemoContext], None]
STEPS: list[tuple[int, str, DemoStep]] = []


def register_demo_step(order: int, name: str, step: DemoStep) -> None:
    if not any(n == name for _, n, _ in STEPS):
        STEPS.append((order, name, step))
        STEPS.sort(key=lambda s: s[0])
