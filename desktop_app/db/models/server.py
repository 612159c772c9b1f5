"""Tables only the sync server uses: tokens, the change log, row counts, seen op ids, login
throttling, the accounts' derived row ids.

They live in the one schema (and the one migration history) so the server's database is
built and checked like every other; the desktop simply never writes them. The sync server
reads and writes them with plain SQL (sync_server/), so the column names are its contract.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base, utcnow


class ServerToken(Base):
    """A bearer token; only its SHA-256 hex digest is stored, so a leaked table grants nothing."""

    __tablename__ = "server_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class ServerChange(Base):
    """The compacted change log: one entry per synced row, at the seq of its latest change.

    `seq` is unique and only ever grows for a row; pull reads entries after a cursor and
    the rows' current state. `owner_id` scopes visibility: the student who owns the row,
    the teacher of a class, or NULL for the syllabus that everybody reads.

    The new attempts of one push share one entry (migration 0005): attempts never change, so
    their entry never moves apart, and the log (and a pull's walk of it) grows per push, not
    per answer. Such an entry is keyed by its first attempt and lists all of them in
    `row_ids`; `device_id` names the device that recorded every one of them, if one did.
    """

    __tablename__ = "server_changes"
    __table_args__ = (
        PrimaryKeyConstraint("table_name", "row_id"),
        Index("ix_server_changes_seq", "seq", unique=True),
        Index("ix_server_changes_owner_id_seq", "owner_id", "seq"),
    )

    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[str | None] = mapped_column(String(36))
    row_ids: Mapped[str | None] = mapped_column(Text)  # comma-joined; NULL: the one row `row_id`
    row_count: Mapped[int] = mapped_column(Integer, server_default="1")
    device_id: Mapped[str | None] = mapped_column(String(64))


class ServerRowCount(Base):
    """How many rows of an append-only table (question attempts) each owner has.

    On the server, triggers keep it in the statement that inserts or deletes attempts
    (migration 0004), whatever runs that statement, so it is exact. A pull's summary counts a
    student's attempts here, one row per owner, instead of walking their whole history, which
    grows with every answer (a teacher's summary walked every history of the class).
    """

    __tablename__ = "server_row_counts"
    __table_args__ = (PrimaryKeyConstraint("table_name", "owner_id"),)

    table_name: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(36))
    row_count: Mapped[int] = mapped_column(BigInteger)


class ServerSeenOp(Base):
    """Op ids already applied, per user: a replayed op is acknowledged, never applied twice."""

    __tablename__ = "server_seen_ops"
    __table_args__ = (PrimaryKeyConstraint("user_id", "op_id"),)

    user_id: Mapped[str] = mapped_column(String(36))
    op_id: Mapped[str] = mapped_column(String(36))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServerDerivedId(Base):
    """The derived row ids (`desktop_app.db.ids.singleton_id`) of every account's profile and plan.

    Anyone who knows a user id can compute them, and a uuid5 cannot be traced back to its
    user: push looks a new profile's or plan's id up here to refuse a student who creates
    their own row under another account's derived id, which would lock that account out of
    its row for good (a stored row owned by someone else is never written). Registration
    fills it in the transaction that creates the user (sync_server/derived_ids.py); migration
    0007 did for the accounts before it. Users are never deleted, so neither are these.
    """

    __tablename__ = "server_derived_ids"

    row_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))


class ServerLoginFailure(Base):
    """Failed logins per username in the current throttling window (shared by all workers)."""

    __tablename__ = "server_login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    total_failures: Mapped[int] = mapped_column(Integer, default=0)


class ServerMeta(Base):
    """Small facts of the server: e.g. which version of the sample bank was loaded."""

    __tablename__ = "server_meta"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
