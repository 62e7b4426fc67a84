"""Translations of content strings (form labels, task names...) that admins edit at run time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import User
from server.db import Base


class ContentTranslation(Base):
    """The text shown for `msgid` (the string as written in the definition) in `locale`.

    It wins over the compiled catalog, so a wording can be fixed or a new form translated without
    a release or a restart. Uniqueness is on a hash of `msgid`: a documentation text can be longer
    than a PostgreSQL index entry may be.
    """

    __tablename__ = "content_translation"
    __table_args__ = (UniqueConstraint("locale", "msgid_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), index=True)
    msgid: Mapped[str] = mapped_column(Text)
    msgid_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime]
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    def __str__(self) -> str:
        return f"{self.locale}: {self.msgid[:60]}"
