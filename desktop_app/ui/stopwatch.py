"""Time on a question: a stopwatch that pauses while the question is out of sight.

Practice pauses it when its screen is hidden (another screen, the window minimised) and
resumes it when shown, so the response time saved with an answer is time spent on the
question, not time spent in Settings. Qt-free; `clock` is any monotonic clock in seconds
(the app's `AppContext.clock`, which tests replace).
"""
from __future__ import annotations

from collections.abc import Callable


class Stopwatch:
    """Stopped at 0 until `resume`; `reset` sets it back to 0, stopped."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._banked = 0.0  # seconds before the last pause
        self._since: float | None = None  # when it was last resumed; None while paused

    @property
    def running(self) -> bool:
        return self._since is not None

    def seconds(self) -> float:
        return self._banked + (self._clock() - self._since if self._since is not None else 0.0)

    def reset(self) -> None:
        self._banked, self._since = 0.0, None

    def resume(self) -> None:
        if self._since is None:
            self._since = self._clock()

    def pause(self) -> None:
        if self._since is not None:
            self._banked, self._since = self.seconds(), None
