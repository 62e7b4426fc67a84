"""Per-process caches of office configuration that every hot path reads (lane → group, active form
versions, SLA overrides, the working calendar), valid across processes.

The configuration lives in a handful of tables that admins change rarely. Each change renews a random
token in the one-row ``config_generation`` table, in the same transaction as the change (a flush
listener on the watched model classes does it, so no edit path can forget). Caches are keyed by that
token: a process reads the token once per transaction and sees every committed change at once, its own
uncommitted ones too, and never mistakes a rolled-back change for a committed one (a random token
is never reused, unlike a counter that a rollback winds back).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import Base

T = TypeVar("T")

ROW_ID = 1
_INFO_KEY = "config_generation"


class ConfigGeneration(Base):
    __tablename__ = "config_generation"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


_watched: tuple[type, ...] = ()


def watch(*classes: type) -> None:
    """Changes to instances of ``classes`` renew the generation (called by the domains' models)."""
    global _watched
    _watched = tuple(dict.fromkeys((*_watched, *classes)))


def current(session: Session) -> str:
    """The generation this transaction sees (read once per transaction)."""
    token = session.info.get(_INFO_KEY)
    if token is None:
        token = session.connection().execute(
            select(ConfigGeneration.token).where(ConfigGeneration.id == ROW_ID)
        ).scalar_one_or_none() or ""
        session.info[_INFO_KEY] = token
    return token


def token_column() -> Any:
    """The generation as a scalar subquery, to read it in a statement the caller runs anyway."""
    return select(ConfigGeneration.token).where(ConfigGeneration.id == ROW_ID).scalar_subquery()


def prime(session: Session, token: str | None) -> None:
    """Remember the generation read through ``token_column`` for the rest of the transaction."""
    if token is not None and _INFO_KEY not in session.info:
        session.info[_INFO_KEY] = token


def renew(session: Session) -> str:
    """Give the configuration a new generation (in the session's transaction)."""
    token = uuid.uuid4().hex
    connection = session.connection()
    done = connection.execute(
        update(ConfigGeneration).where(ConfigGeneration.id == ROW_ID).values(token=token)
    ).rowcount
    if not done:
        connection.execute(ConfigGeneration.__table__.insert().values(id=ROW_ID, token=token))
    session.info[_INFO_KEY] = token
    return token


@event.listens_for(Session, "before_flush")
def _renew_on_change(session: Session, flush_context: Any, instances: Any) -> None:
    if _watched and any(isinstance(obj, _watched)
                        for obj in chain(session.new, session.deleted, session.dirty)):
        renew(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None or transaction.nested:
        # A savepoint rolled back may have renewed the token: read it again.
        session.info.pop(_INFO_KEY, None)


class Cache:
    """A small per-process map whose entries belong to one generation."""

    def __init__(self, name: str, size: int = 512) -> None:
        self.name = name
        self._size = size
        self._lock = threading.Lock()
        self._items: dict[tuple[str, Hashable], Any] = {}

    def get(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        full = (current(session), key)
        with self._lock:
            if full in self._items:
                return self._items[full]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if len(self._items) >= self._size:
                self._items.clear()
            self._items[full] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
