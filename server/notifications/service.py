"""Notifications: in-app rows for users, mail through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from server.audit import service as audit
from server.auth.models import User, user_group
from server.auth.permissions import CASE_ROLES, Role
from server.notifications.models import Notification, OutboxMessage

KINDS = ("task_new", "sla_at_risk", "sla_breached", "referral", "referral_answer", "referral_overdue", "transfer")
CHANNELS = ("app", "email")
#: Replaced by the server's address when the mail leaves (outbox.deliver): services do not know it.
BASE_URL_MARK = "{BASE_URL}"


def kind_labels() -> dict[str, str]:
    """What each kind of notification is about, for the settings page and mail subjects."""
    from flask_babel import gettext

    return {
        "task_new": gettext("New tasks for me or my group"),
        "sla_at_risk": gettext("Deadlines approaching"),
        "sla_breached": gettext("Deadlines passed"),
        "referral": gettext("Referrals sent to my agency"),
        "referral_answer": gettext("Answers to referrals I sent"),
        "referral_overdue": gettext("Referrals still unanswered after their answer date"),
        "transfer": gettext("Case transfers between units"),
    }


def kinds_for(user: User) -> list[str]:
    """The kinds a user can receive: partners only hear of referrals; staff of everything else."""
    names = user.group_names
    kinds: list[str] = []
    if names & CASE_ROLES:
        kinds += ["task_new", "sla_at_risk", "sla_breached", "referral_answer", "referral_overdue"]
        if Role.MANAGER in names or Role.CASEWORKER in names:
            kinds.append("transfer")
    if Role.PARTNER in names:
        kinds.append("referral")
    return kinds


def wants(user: User, kind: str, channel: str) -> bool:
    """A user's choice per kind and channel; in-app is on by default, e-mail too when an address is set."""
    prefs = user.notify_prefs or {}
    default = channel == "app" or bool(user.email)
    return bool(prefs.get(f"{kind}.{channel}", default))


def preferences(user: User) -> dict[str, dict[str, bool]]:
    """kind -> channel -> on, for the kinds this user can receive."""
    return {kind: {channel: wants(user, kind, channel) for channel in CHANNELS} for kind in kinds_for(user)}


def save_preferences(session: Session, *, user: User, chosen: set[str], now: datetime) -> dict[str, bool]:
    """Store the user's choices: ``chosen`` holds ``kind.channel`` for every box that is ticked."""
    row = session.get(User, user.id)
    if row is None:
        from server.errors import NotFoundError

        raise NotFoundError()
    # Without an address the e-mail boxes cannot be ticked: keep their default for when one is added.
    channels = CHANNELS if row.email else ("app",)
    prefs = {f"{kind}.{channel}": f"{kind}.{channel}" in chosen for kind in kinds_for(row) for channel in channels}
    row.notify_prefs = {**(row.notify_prefs or {}), **prefs}
    audit.record(session, action="notifications.preferences_saved", actor=row, now=now, object_type="user",
                 object_id=row.id, details={"on": sorted(k for k, v in prefs.items() if v)})
    return prefs


def mail_text(kind: str, link: str, locale: str | None) -> tuple[str, str]:
    """Subject and body of a notification mail: what kind of thing is waiting and a link, nothing more.

    Mail leaves the office's control, so it never carries a name, a case number, a task name or any
    other case detail; the reader logs in to see them.
    """
    from flask_babel import force_locale, gettext

    with force_locale(locale or "id"):
        subject = gettext("Sinergi: %(what)s", what=kind_labels().get(kind, gettext("New notification")))
        body = gettext("There is something new for you in Sinergi. Log in to see it:") + "\n\n" + \
            f"{BASE_URL_MARK}{link}\n\n" + gettext(
                "For the protection of the people concerned, this message contains no case details.") + "\n"
    return subject, body


@dataclass(frozen=True)
class NoticeText:
    """A notification's text as its English message id and parameters (``notice_text``): stored so, each
    reader sees it in their own language; the sender's rendering is kept as the fallback text."""

    msgid: str
    params: dict[str, Any]

    def render(self) -> str:
        from flask_babel import gettext

        return gettext(self.msgid, **self.params)


def notice_text(msgid: str, **params: Any) -> NoticeText:
    """Mark a notification text for translation (an extraction keyword, see the Makefile)."""
    return NoticeText(msgid, {k: v if isinstance(v, int | float) else str(v) for k, v in params.items()})


def shown_text(notification: Notification, translate: Any = None) -> str:
    """A notification in the reader's language; string parameters (task names) through ``translate``, the
    admins' content translations."""
    if not notification.message_id:
        return notification.message
    params = {k: translate(v) if translate is not None and isinstance(v, str) else v
              for k, v in (notification.params or {}).items()}
    try:
        return NoticeText(notification.message_id, params).render()
    except (KeyError, ValueError, TypeError):
        return notification.message


def notify(session: Session, *, users: list[User], kind: str, message: str | NoticeText, link: str, now: datetime,
           case_id: int | None = None, task_id: int | None = None, subject: str | None = None,
           default_locale: str | None = None) -> int:
    """Notify users in the app and, if they want it, by mail (link only, never case details).

    ``message`` is shown in the app only; ``subject`` is ignored for mail (kept for callers' clarity).
    """
    text = message.render() if isinstance(message, NoticeText) else message
    msgid, params = (message.msgid, message.params) if isinstance(message, NoticeText) else (None, {})
    sent = 0
    for user in users:
        if not user.is_active:
            continue
        if wants(user, kind, "app"):
            session.add(Notification(user_id=user.id, kind=kind, message=text[:300], message_id=msgid,
                                     params=params, link=link, case_id=case_id, task_id=task_id, created_at=now))
            sent += 1
        if user.email and wants(user, kind, "email"):
            mail_subject, body = mail_text(kind, link, user.locale or default_locale)
            session.add(OutboxMessage(to_address=user.email, subject=mail_subject[:200], body=body,
                                      status="pending", attempts=0, next_attempt_at=now, created_at=now))
    return sent


#: Built once: every new group task runs it.
_GROUP_MEMBERS = (select(User).join(user_group, user_group.c.user_id == User.id)
                  .where(user_group.c.group_id == bindparam("group_id")).order_by(User.id)
                  .options(lazyload(User.groups)))


def tasks_created(session: Session, *, tasks: list[Any], now: datetime) -> None:
    """Tell the assignee, or the members of the task's group, that new work is waiting."""

    for task in tasks:
        if task.assignee_id is not None:
            users = [session.get(User, task.assignee_id)]
        elif task.group_id is not None:
            users = list(session.execute(_GROUP_MEMBERS, {"group_id": task.group_id}).scalars())
        else:
            users = []
        notify(session, users=[u for u in users if u is not None], kind="task_new",
               message=notice_text("New task: %(name)s", name=task.name), link=f"/tasks/{task.id}", now=now,
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
