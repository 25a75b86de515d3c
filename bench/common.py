"""Shared helpers of the benchmarks."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    figure: str
    bound: str = ""
    ratio: float | None = None
    notes: str = ""

    def row(self) -> str:
        ratio = f"{self.ratio:.2f}×" if self.ratio is not None else ""
        return f"| {self.name} | {self.figure} | {self.bound} | {ratio} | {self.notes} |"


@dataclass
class Context:
    db: str
    state: dict = field(default_factory=dict)

    def ensure_province(self) -> None:
        """Load the province-size demo data once per run."""
        if self.state.get("province"):
            return
        from django.core.management import call_command

        call_command("demo", size="province", verbosity=0)
        self.state["province"] = True


def best_of(fn: Callable[[], object], repeat: int = 7) -> float:
    """Median wall time in seconds of ``repeat`` calls after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def peak_memory(fn: Callable[[], object]) -> tuple[float, int]:
    """(seconds, peak bytes allocated by Python) of one call."""
    tracemalloc.start()
    t = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
