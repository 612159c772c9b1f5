"""Latest wins, field by field: the one conflict rule of the protocol (pure, no I/O).

Every synced row keeps `field_stamps` {field: stamp}. A write carries values and one
stamp; a value replaces the stored one only when its stamp is strictly greater. Stamps
are fixed-width strings (desktop_app/db/hlc.py) whose string order is (wall ms, counter,
device id) order, so:

- edits of different fields on two devices both survive (each field has its own stamp);
- of two edits of one field the causally later one wins, even from a laptop whose wall
  clock is a day behind: its hybrid logical clock moved past every stamp it pulled;
- equal (wall, counter) are ordered by device id, so no two copies stay different;
- a replayed write (same stamp) changes nothing, so applying twice equals applying once;
- a field nobody wrote (a column default filled in when a row is created) carries
  DEFAULT_STAMP, older than every real stamp, so any device's value for it wins.

The client applies pulled changes with the same rule, so every copy converges.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_STAMP = "000000000000000:000000:default"


@dataclass
class RowState:
    """A synced row as the server holds it during a push: content values and field stamps."""

    row_id: str
    values: dict[str, Any]
    stamps: dict[str, str]
    exists: bool  # stored before this transaction
    changed: set[str] = field(default_factory=set)  # fields replaced in this transaction

    @property
    def hlc(self) -> str:
        """The row's newest stamp (the `hlc` column)."""
        return max(self.stamps.values(), default="")

    @property
    def known(self) -> bool:
        """Stored, or created earlier in this transaction."""
        return self.exists or bool(self.changed)


def fill_defaults(state: RowState, defaults: dict[str, Any]) -> None:
    """Give a new row the fields it lacks, stamped DEFAULT_STAMP (every field has a stamp)."""
    for name, value in defaults.items():
        if name not in state.values:
            state.values[name] = value
            state.stamps[name] = DEFAULT_STAMP


def merge(state: RowState, values: dict[str, Any], stamp: str) -> list[str]:
    """Apply one stamped write to `state` in place; returns the fields it won."""
    if not state.stamps:  # a new row: every field wins
        state.values.update(values)
        state.stamps = dict.fromkeys(values, stamp)
        state.changed.update(values)
        return list(values)
    won = []
    for name, value in values.items():
        if stamp > state.stamps.get(name, ""):
            state.values[name] = value
            state.stamps[name] = stamp
            won.append(name)
    state.changed.update(won)
    return won
