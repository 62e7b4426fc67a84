"""Users, groups (which are also roles), units, lane mapping and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import generation
from server.db import Base

user_group = Table(
    "user_group",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("group.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(Base):
    """An office (a city's UPTD PPA) that owns cases."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Group(Base):
    """A group of users; its name is also the role it grants (see auth.permissions)."""

    __tablename__ = "group"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    users: Mapped[list[User]] = relationship(secondary=user_group, back_populates="groups")


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agency.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    #: Bumped to end every web session of the user at once (logout, password change); sessions carry
    #: the value they were issued with and are refused once it differs.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime]
    notify_prefs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    groups: Mapped[list[Group]] = relationship(secondary=user_group, back_populates="users", lazy="selectin")
    unit: Mapped[Unit | None] = relationship()

    @property
    def group_names(self) -> set[str]:
        return {g.name for g in self.groups}

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class PartnerAgency(Base):
    """An external agency cases are referred to (police PPA unit, hospital, Dinsos, LBH, ...)."""

    __tablename__ = "partner_agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64), default="lainnya")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"))


class LaneMapping(Base):
    """Maps a BPMN lane name to the group whose members work its tasks."""

    __tablename__ = "lane_mapping"
    id: Mapped[int] = mapped_column(primary_key=True)
    lane: Mapped[str] = mapped_column(String(100), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id"))
    group: Mapped[Group] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")

# Hot paths cache what these hold (server/generation.py): every change renews the generation.
generation.watch(Group, LaneMapping)
