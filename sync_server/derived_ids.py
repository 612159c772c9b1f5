"""Every account's derived profile and plan ids, so push can refuse a row that takes them.

A student's one profile and one plan have ids derived from the user id
(`desktop_app.db.ids.singleton_id`, docs/sync-protocol.md "Derived row ids"): every device
and the server mint the same id for them. Anyone who knows a user id can compute those ids,
so push must not let a student create a row of their own under another account's derived
id: a stored row owned by someone else is never written, so that account could never store
its own profile or plan again.

Not every legitimate id is the owner's derived id (a profile `join_class` minted beside a
squatted one; an older client's offline account that logged in to this one, keeping the
offline account's derived id, which no account here has), so the rule is: a new row may not
take the derived id of *another account*. A uuid5 cannot be traced back to its user, so the
ids are recorded here when an account is registered (in its transaction) and looked up only
for the rare new row whose id is not its owner's own derived id.
"""
from __future__ import annotations

import psycopg

from desktop_app.db.ids import singleton_id
from sync_server.tables import SPECS

# Tables with one row per user (the owner column is unique) -> their owner column.
SINGLETONS: dict[str, str] = {name: spec.owner for name, spec in SPECS.items()
                              if spec.owner and (spec.owner,) in spec.uniques}


def reservation(user_id: str) -> tuple[str, tuple[str, ...]]:
    """The statement and parameters that record `user_id`'s derived ids (run it in the
    transaction that creates the user)."""
    rows = [(singleton_id(table, user_id), table, user_id) for table in SINGLETONS]
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    return (f"INSERT INTO server_derived_ids (row_id, table_name, user_id) VALUES {values}",
            tuple(v for row in rows for v in row))


def taken(conn: psycopg.Connection, new_rows: dict[tuple[str, str], str]) -> set[tuple[str, str]]:
    """Of new rows {(table, row id): owner}, those whose id is another account's derived id
    (of any table: nobody needs one elsewhere)."""
    suspects = {key: owner for key, owner in new_rows.items() if key[1] != singleton_id(key[0], owner)}
    if not suspects:  # the usual case: every new profile or plan under its owner's own id
        return set()
    holders = dict(conn.execute("SELECT row_id, user_id FROM server_derived_ids WHERE row_id = ANY(%s)",
                                (sorted({row_id for _, row_id in suspects}),)).fetchall())
    return {key for key, owner in suspects.items() if holders.get(key[1], owner) != owner}
