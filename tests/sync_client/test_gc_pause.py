"""The collector is off while any round runs and comes back as it was."""
from __future__ import annotations

import gc
import threading

import pytest

from sync_client.gc_pause import collector_paused


def test_the_collector_waits_for_every_round_and_then_runs_again() -> None:
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other_round() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    with collector_paused():
        worker = threading.Thread(target=other_round)
        worker.start()
        assert inside.wait(5) and not gc.isenabled()
    assert not gc.isenabled()  # the other round still runs
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_a_round_that_fails_turns_it_back_on_and_leaves_it_off_if_it_was_off() -> None:
    with pytest.raises(RuntimeError):
        with collector_paused():
            raise RuntimeError("network down")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
