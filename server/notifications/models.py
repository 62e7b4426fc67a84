"""In-app notifications and the mail outbox (sent after commit, retried with backoff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    #: The text in the language of the moment it was sent (kept for rows without ``message_id``).
    message: Mapped[str] = mapped_column(String(300))
    #: The English message id and its parameters: each reader sees it in their own language.
    message_id: Mapped[str | None] = mapped_column(String(300))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    link: Mapped[str] = mapped_column(String(300), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A mail waiting to leave. Bodies carry only a link, never case details."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
