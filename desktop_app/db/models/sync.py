"""The transactional outbox and the client's small key/value sync state."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base, utcnow
from desktop_app.db.ids import new_id

OP_STATUSES = ("pending", "synced", "failed")


class SyncOperation(Base):
    """One local change waiting for (or done with) the server; `id` is the op id."""

    __tablename__ = "sync_operations"
    __table_args__ = (
        Index("idx_sync_pending", "status", "created_at"),
        CheckConstraint("operation IN ('insert', 'update', 'delete')", name="operation"),
        CheckConstraint("status IN ('pending', 'synced', 'failed')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str] = mapped_column(String(36))
    operation: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    hlc: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class SyncState(Base):
    """Small facts the device keeps: device id, pull cursor, last clock stamp, ..."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
