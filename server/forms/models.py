"""Form definitions (JSON schema + UI schema) and their immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import generation
from server.db import Base


class FormDefinition(Base):
    __tablename__ = "form_definition"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    active_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("form_version.id", use_alter=True, name="fk_form_definition_active_version")
    )
    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="form", foreign_keys="FormVersion.form_id", order_by="FormVersion.number"
    )
    active_version: Mapped[FormVersion | None] = relationship(foreign_keys=[active_version_id])


class FormVersion(Base):
    """One immutable save of a form. Submissions record the version they were validated against."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("form_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_definition.id"), index=True)
    number: Mapped[int]
    schema: Mapped[dict[str, Any]]
    ui_schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[FormDefinition] = relationship(back_populates="versions", foreign_keys=[form_id])

# Hot paths cache what these hold (server/generation.py): every change renews the generation.
generation.watch(FormDefinition)
