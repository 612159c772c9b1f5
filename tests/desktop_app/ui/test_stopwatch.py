"""The question stopwatch: paused time is not counted (no Qt needed)."""
from __future__ import annotations

from desktop_app.ui.stopwatch import Stopwatch


def test_paused_time_is_left_out_and_reset_starts_again_stopped() -> None:
    now = [50.0]
    watch = Stopwatch(lambda: now[0])
    now[0] += 5
    assert watch.seconds() == 0 and not watch.running  # stopped until resumed
    watch.resume()
    now[0] += 10
    watch.pause()
    watch.pause()  # twice: no effect
    now[0] += 100
    watch.resume()
    watch.resume()  # twice: still timed from the first
    now[0] += 2
    assert watch.seconds() == 12 and watch.running
    watch.reset()
    now[0] += 7
    assert watch.seconds() == 0 and not watch.running
