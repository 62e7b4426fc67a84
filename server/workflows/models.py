"""Workflow definitions and their immutable versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base


class WorkflowDefinition(Base):
    __tablename__ = "workflow_definition"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    active_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_version.id", use_alter=True, name="fk_workflow_definition_active_version")
    )
    versions: Mapped[list[WorkflowVersion]] = relationship(
        back_populates="definition", foreign_keys="WorkflowVersion.definition_id",
        order_by="WorkflowVersion.number",
    )
    active_version: Mapped[WorkflowVersion | None] = relationship(foreign_keys=[active_version_id])


class WorkflowVersion(Base):
    """One immutable save of a BPMN file. Cases pin the version they started on."""

    __tablename__ = "workflow_version"
    __table_args__ = (UniqueConstraint("definition_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("workflow_definition.id"), index=True)
    number: Mapped[int]
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)  # loaded only when parsed on a cache miss
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[WorkflowDefinition] = relationship(
        back_populates="versions", foreign_keys=[definition_id]
    )
