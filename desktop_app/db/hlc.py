"""Hybrid logical clock: the last-writer stamp of every synced field.

A stamp is (wall milliseconds, counter, device id). It never runs backwards on a device
(except when a device repairs what a wrong date stamped: set_back) and always moves past
every stamp the device has received, so an edit made after seeing
another edit wins even when this laptop's wall clock is a day behind. Device id breaks
ties, so two copies can never keep different values for the same stamp.

Encoded as a fixed-width string so that string order == stamp order, in Python, in
SQLite and in PostgreSQL alike.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_WALL_DIGITS = 15
_COUNTER_DIGITS = 6
_MAX_COUNTER = 10 ** _COUNTER_DIGITS - 1

# How far a stamp may run ahead of the server's clock before the server refuses it
# (clock_ahead), and past which a device that has its date right again re-stamps what it
# wrote while its date was wrong (sync_client/clock_repair.py).
MAX_AHEAD_MS = 24 * 3600 * 1000


@dataclass(frozen=True, order=True)
class Stamp:
    wall_ms: int
    counter: int
    device: str

    def encode(self) -> str:
        return f"{self.wall_ms:0{_WALL_DIGITS}d}:{self.counter:0{_COUNTER_DIGITS}d}:{self.device}"

    @classmethod
    def decode(cls, text: str) -> "Stamp":
        try:
            wall, counter, device = text.split(":", 2)
            if len(wall) != _WALL_DIGITS or len(counter) != _COUNTER_DIGITS or not device:
                raise ValueError
            return cls(int(wall), int(counter), device)
        except ValueError:
            raise ValueError(f"not a clock stamp: {text!r}") from None


def is_stamp(text: object) -> bool:
    try:
        Stamp.decode(text)  # type: ignore[arg-type]
        return True
    except (ValueError, AttributeError):
        return False


class HybridLogicalClock:
    """Thread-safe HLC for one device. `wall` is injectable for tests (returns ms)."""

    def __init__(self, device: str, *, wall: Callable[[], int] | None = None, last: str | None = None,
                 received: str | None = None) -> None:
        self.device = device
        self._wall = wall or (lambda: time.time_ns() // 1_000_000)
        self._last = Stamp.decode(last) if last else Stamp(0, 0, device)
        self._received = received or ""
        self._lock = threading.RLock()

    def now(self) -> str:
        """A new stamp, later than every stamp issued or received so far."""
        with self._lock:
            wall = self._wall()
            if wall > self._last.wall_ms:
                self._last = Stamp(wall, 0, self.device)
            elif self._last.counter < _MAX_COUNTER:
                self._last = Stamp(self._last.wall_ms, self._last.counter + 1, self.device)
            else:  # the counter is full: the next millisecond, so the stamp keeps its width (and order)
                self._last = Stamp(self._last.wall_ms + 1, 0, self.device)
            return self._last.encode()

    def receive(self, stamp: str) -> None:
        """Move past a stamp seen from another device (pull), so later local edits win."""
        other = Stamp.decode(stamp)
        with self._lock:
            self._received = max(self._received, stamp)
            if (other.wall_ms, other.counter) > (self._last.wall_ms, self._last.counter):
                self._last = Stamp(other.wall_ms, other.counter, self.device)

    def wall_ms(self) -> int:
        """This device's wall time, as the clock reads it."""
        return self._wall()

    @contextmanager
    def held(self) -> Iterator[None]:
        """No stamp is issued or received meanwhile (by any thread): set_back's caller
        checks that no stamp is on its way to the database before it sets the clock back."""
        with self._lock:
            yield

    def set_back(self, stamp: str) -> None:
        """Continue after `stamp` (or the newest stamp received, if later), even though it is
        earlier than the last one: only for a clock whose stamps came from a wrong date
        (sync_client/clock_repair.py). An edit made after seeing another still beats it."""
        with self._lock:
            back = Stamp.decode(max(stamp, self._received))
            self._last = Stamp(back.wall_ms, back.counter, self.device)

    @property
    def received(self) -> str:
        """The newest stamp received by pull ("" if none; it may be one of this device's own,
        sent back): what set_back keeps the clock after."""
        return self._received

    @property
    def last(self) -> str:
        return self._last.encode()
