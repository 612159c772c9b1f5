"""Latest wins, field by field (sync_server/merge.py), without a database."""
from __future__ import annotations

from desktop_app.db.hlc import HybridLogicalClock
from sync_server.merge import RowState, merge

DAY_MS = 24 * 3600 * 1000


def _row(**values: object) -> RowState:
    return RowState(row_id="r", values=dict(values), stamps={}, exists=True)


def test_a_newer_stamp_wins_and_an_older_one_loses() -> None:
    row = _row()
    merge(row, {"grade": "10"}, "000000000002000:000000:a")
    assert merge(row, {"grade": "9"}, "000000000001000:000000:b") == []
    assert row.values["grade"] == "10"
    assert merge(row, {"grade": "11"}, "000000000003000:000000:b") == ["grade"]
    assert row.values["grade"] == "11" and row.stamps["grade"] == "000000000003000:000000:b"


def test_edits_of_different_fields_on_two_devices_both_survive() -> None:
    row = _row()
    merge(row, {"exam_date": "2027-06-01", "available_hours_per_day": 2.0}, "000000000001000:000000:a")
    merge(row, {"available_hours_per_day": 3.5}, "000000000002000:000000:b")  # laptop B: hours
    merge(row, {"exam_date": "2027-05-20"}, "000000000001500:000000:a")  # laptop A: date, pushed late
    assert row.values == {"exam_date": "2027-05-20", "available_hours_per_day": 3.5}


def test_a_tie_is_broken_by_device_id_in_any_order() -> None:
    a, b = "000000000001000:000003:device-a", "000000000001000:000003:device-b"
    first, second = _row(), _row()
    merge(first, {"grade": "A"}, a)
    merge(first, {"grade": "B"}, b)
    merge(second, {"grade": "B"}, b)
    merge(second, {"grade": "A"}, a)
    assert first.values == second.values == {"grade": "B"}


def test_replaying_a_write_changes_nothing() -> None:
    row = _row()
    stamp = "000000000001000:000000:a"
    assert merge(row, {"grade": "10"}, stamp) == ["grade"]
    assert merge(row, {"grade": "10"}, stamp) == []


def test_a_day_behind_clock_still_wins_with_a_causally_later_edit() -> None:
    now = 1_800_000_000_000
    right = HybridLogicalClock("laptop-right", wall=lambda: now)
    behind = HybridLogicalClock("laptop-behind", wall=lambda: now - DAY_MS)
    row = _row()
    first = right.now()
    merge(row, {"target_exam": "GCSE"}, first)
    behind.receive(first)  # the slow laptop pulls the edit ...
    later = behind.now()  # ... and edits afterwards
    assert merge(row, {"target_exam": "A-level"}, later) == ["target_exam"]
    assert row.values["target_exam"] == "A-level"


def test_a_new_row_takes_every_field_and_knows_what_changed() -> None:
    row = RowState(row_id="r", values={}, stamps={}, exists=False)
    assert not row.known
    merge(row, {"a": 1, "b": 2}, "000000000001000:000000:x")
    assert row.known and row.changed == {"a", "b"} and row.hlc == "000000000001000:000000:x"
