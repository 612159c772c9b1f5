"""Exponential backoff with jitter while the server is unreachable (pure; no Qt, no clock)."""
from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays of base·2^(n-1) seconds, capped, with "equal jitter": each delay is drawn from
    [ceiling/2, ceiling], so laptops that lost the same server do not return in step, yet
    none retries almost at once."""

    def __init__(self, *, base: float = 2.0, cap: float = 300.0, rng: Callable[[], float] = random.random) -> None:
        self.base, self.cap, self._rng = base, cap, rng
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        ceiling = min(self.cap, self.base * 2 ** min(self.failures - 1, 30))
        return ceiling / 2 + self._rng() * ceiling / 2

    def reset(self) -> None:
        self.failures = 0
