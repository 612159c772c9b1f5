"""Backoff while the server is unreachable, and the status value the GUI receives (pure)."""
from __future__ import annotations

import pytest

from sync_client.backoff import Backoff
from sync_client.status import SyncStatus


def test_delays_double_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    low, high = Backoff(base=2, cap=60, rng=lambda: 0.0), Backoff(base=2, cap=60, rng=lambda: 0.999999)
    lows = [low.next_delay() for _ in range(8)]
    highs = [high.next_delay() for _ in range(8)]
    assert lows == [1, 2, 4, 8, 16, 30, 30, 30]
    assert [round(h) for h in highs] == [2, 4, 8, 16, 32, 60, 60, 60]
    low.reset()
    assert low.next_delay() == 1


def test_status_kinds_are_checked() -> None:
    assert SyncStatus(kind="synced").pending == 0
    with pytest.raises(ValueError):
        SyncStatus(kind="fine")
