"""Notifications: in-app rows for users, mail through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import Group, User
from server.notifications.models import Notification, OutboxMessage

KINDS = ("task_new", "sla_at_risk", "sla_breached", "referral", "referral_answer")


def wants(user: User, kind: str, channel: str) -> bool:
    """A user's choice per kind and channel; in-app is on by default, e-mail too when an address is set."""
    prefs = user.notify_prefs or {}
    default = channel == "app" or bool(user.email)
    return bool(prefs.get(f"{kind}.{channel}", default))


def notify(session: Session, *, users: list[User], kind: str, message: str, link: str, now: datetime,
           case_id: int | None = None, task_id: int | None = None, subject: str | None = None) -> int:
    """Notify users in the app and, if they want it, by mail (link only, never case details)."""
    sent = 0
    for user in users:
        if not user.is_active:
            continue
        if wants(user, kind, "app"):
            session.add(Notification(user_id=user.id, kind=kind, message=message[:300], link=link,
                                     case_id=case_id, task_id=task_id, created_at=now))
            sent += 1
        if user.email and wants(user, kind, "email"):
            session.add(OutboxMessage(to_address=user.email, subject=(subject or message)[:200],
                                      body=f"{message}\n\n{link}\n", status="pending", attempts=0,
                                      next_attempt_at=now, created_at=now))
    return sent


def tasks_created(session: Session, *, tasks: list[Any], now: datetime) -> None:
    """Tell the assignee, or the members of the task's group, that new work is waiting."""
    from flask_babel import gettext

    for task in tasks:
        if task.assignee_id is not None:
            users = [session.get(User, task.assignee_id)]
        elif task.group_id is not None:
            group = session.get(Group, task.group_id)
            users = list(group.users) if group else []
        else:
            users = []
        notify(session, users=[u for u in users if u is not None], kind="task_new",
               message=gettext("New task: %(name)s", name=task.name), link=f"/tasks/{task.id}", now=now,
               case_id=task.case_id, task_id=task.id)


def unread(session: Session, *, user: User, limit: int = 50) -> list[Notification]:
    return list(session.execute(
        select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.id.desc()).limit(limit)
    ).scalars())


def recent(session: Session, *, user: User, limit: int = 50) -> list[Notification]:
    return list(session.execute(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(limit)
    ).scalars())


def mark_read(session: Session, *, user: User, now: datetime) -> None:
    for row in unread(session, user=user, limit=1000):
        row.read_at = now
