"""The hybrid logical clock: stamps keep their fixed width, so string order stays stamp order."""
from __future__ import annotations

from desktop_app.db.hlc import HybridLogicalClock, Stamp


def test_a_full_counter_moves_to_the_next_millisecond_and_keeps_the_order() -> None:
    wall = 1_700_000_000_000
    clock = HybridLogicalClock("laptop", wall=lambda: wall)
    clock.receive(f"{wall:015d}:999998:other")  # a stamp seen from a device busy in this millisecond
    stamps = [clock.now() for _ in range(3)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert [Stamp.decode(s) for s in stamps] == [Stamp(wall, 999999, "laptop"), Stamp(wall + 1, 0, "laptop"),
                                                 Stamp(wall + 1, 1, "laptop")]
    clock.receive(stamps[-1])  # a stamp of its own comes back: still decodes, still ordered
    assert clock.now() > stamps[-1]


def test_set_back_continues_after_the_given_stamp_not_after_the_wrong_date() -> None:
    wall = 1_700_000_000_000
    clock = HybridLogicalClock("laptop", wall=lambda: wall, last=f"{wall + 10 ** 10:015d}:000000:laptop")
    assert clock.now() > f"{wall + 10 ** 10:015d}"  # a clock never runs back by itself
    seen = f"{wall - 5:015d}:000007:other"
    clock.set_back(seen)
    assert seen < clock.now() < f"{wall + 1:015d}"
