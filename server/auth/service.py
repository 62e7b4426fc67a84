"""Passwords (argon2), login throttling and lockout, API tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from server import generation
from server.audit import service as audit
from server.auth.models import ApiToken, Group, LaneMapping, Unit, User
from server.errors import AuthenticationError, DomainError, NotFoundError

_hasher = PasswordHasher()
# A real hash to verify against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("sinergi-not-a-password")


class AccountLockedError(AuthenticationError):
    code = "locked"


class TooManyAttemptsError(DomainError):
    """Too many failed logins from one client address (password spraying across accounts)."""

    status = 429
    code = "too_many_attempts"


def _recent_failures_from(session: Session, ip: str, *, since: datetime) -> int:
    from server.audit.models import AuditEvent

    return int(session.execute(
        select(func.count()).select_from(AuditEvent)
        .where(AuditEvent.ip == ip, AuditEvent.action == "login.failed", AuditEvent.at > since)
    ).scalar_one())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, *, username: str, password: str, now: datetime, ip: str = "",
                 max_failures: int = 5, lockout_minutes: int = 15, max_failures_per_ip: int = 30) -> User:
    """Return the user for valid credentials; count failures and lock the account after too many.

    A client address with ``max_failures_per_ip`` failed logins (any accounts) within ``lockout_minutes``
    is refused without checking the password until the window has passed.
    """
    from flask_babel import gettext

    if ip and max_failures_per_ip > 0 and _recent_failures_from(
            session, ip, since=now - timedelta(minutes=lockout_minutes)) >= max_failures_per_ip:
        audit.record(session, action="login.throttled", now=now, ip=ip, actor_name=username[:64])
        raise TooManyAttemptsError(gettext("Too many failed logins from this address. Try again later."))
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        audit.record(session, action="login.failed", now=now, ip=ip, actor_name=username[:64],
                     details={"reason": "unknown_user"})
        raise AuthenticationError(gettext("Wrong username or password."), code="bad_credentials")
    if user.locked_until is not None and user.locked_until > now:
        audit.record(session, action="login.failed", actor=user, now=now, ip=ip, details={"reason": "locked"})
        raise AccountLockedError(gettext("Too many failed attempts. The account is locked for a while."))
    if not user.is_active or not check_password(user, password):
        user.failed_logins += 1
        details: dict[str, object] = {"reason": "bad_password" if user.is_active else "inactive"}
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
            details["locked_until"] = user.locked_until.isoformat()
        audit.record(session, action="login.failed", actor=user, now=now, ip=ip, details=details)
        raise AuthenticationError(gettext("Wrong username or password."), code="bad_credentials")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, action="login", actor=user, now=now, ip=ip)
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, user: User, now: datetime, hours: int = 12) -> tuple[str, ApiToken]:
    """Create an API token; the clear text is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_token_digest(token), created_at=now,
                   expires_at=now + timedelta(hours=hours))
    session.add(row)
    session.flush()
    return token, row


#: Built once: every API call runs it (building a statement costs more than running it here).
_TOKEN_USER = (select(ApiToken).where(ApiToken.token_hash == bindparam("digest"))
               .options(joinedload(ApiToken.user).joinedload(User.groups)))


def user_for_token(session: Session, *, token: str, now: datetime) -> User | None:
    """The active user a live token belongs to, with their groups, in one statement (every API call)."""
    row = session.execute(_TOKEN_USER, {"digest": _token_digest(token)}).unique().scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.is_active:
        return None
    return row.user


def revoke_token(session: Session, *, token: str, now: datetime) -> None:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token))
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError()
    row.revoked_at = now


def revoke_all_tokens(session: Session, *, user: User, now: datetime) -> int:
    """Revoke every live API token of ``user``; returns how many."""
    result = session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                               ApiToken.expires_at > now).values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def end_sessions(session: Session, *, user: User, now: datetime, reason: str = "logout", ip: str = "") -> None:
    """End every web session of ``user`` (sessions are signed cookies; the epoch makes copies useless)."""
    row = session.get(User, user.id)
    if row is None:
        raise NotFoundError()
    row.session_epoch = (row.session_epoch or 0) + 1
    audit.record(session, action="logout" if reason == "logout" else "sessions.ended", actor=row, now=now,
                 ip=ip, details={} if reason == "logout" else {"reason": reason})


def session_problem(data: dict[str, object], *, user: User, now: datetime, idle_minutes: int,
                    lifetime_minutes: int) -> str | None:
    """Why a web session may no longer be used (None if it may): too long idle, too old, or ended."""
    try:
        login_at = datetime.fromisoformat(str(data["login_at"]))
        seen_at = datetime.fromisoformat(str(data.get("seen_at") or data["login_at"]))
        epoch = int(str(data["epoch"]))
    except (KeyError, ValueError, TypeError):
        return "unknown"
    if epoch != (user.session_epoch or 0):
        return "ended"
    if now - login_at > timedelta(minutes=lifetime_minutes):
        return "lifetime"
    if now - seen_at > timedelta(minutes=idle_minutes):
        return "idle"
    return None


def get_group(session: Session, name: str) -> Group | None:
    return session.execute(select(Group).where(Group.name == name)).scalar_one_or_none()


def ensure_group(session: Session, name: str, title: str = "") -> Group:
    group = get_group(session, name)
    if group is None:
        group = Group(name=name, title=title or name)
        session.add(group)
        session.flush()
    return group


def ensure_unit(session: Session, code: str, name: str) -> Unit:
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        unit = Unit(code=code, name=name)
        session.add(unit)
        session.flush()
    return unit


def group_for_lane(session: Session, lane: str | None) -> Group | None:
    """The group that works a lane: the lane mapping table, else a group with the lane's name."""
    if not lane:
        return None
    mapping = session.execute(select(LaneMapping).where(LaneMapping.lane == lane)).scalar_one_or_none()
    if mapping is not None:
        return mapping.group
    return get_group(session, lane)


_lane_groups = generation.Cache("lane_groups")


def group_id_for_lane(session: Session, lane: str | None) -> int | None:
    """``group_for_lane(...).id``, cached per configuration generation (a hot path: every new task)."""
    if not lane:
        return None

    def compute() -> int | None:
        group = group_for_lane(session, lane)
        return group.id if group is not None else None

    return _lane_groups.get(session, lane, compute)


def create_user(session: Session, *, username: str, password: str, now: datetime, full_name: str = "",
                groups: list[str] | None = None, unit: Unit | None = None, email: str | None = None) -> User:
    if not username or len(username) > 64:
        raise DomainError("invalid username", code="invalid_username")
    user = User(username=username, full_name=full_name or username, password_hash=hash_password(password),
                created_at=now, unit_id=unit.id if unit else None, email=email, notify_prefs={})
    user.groups = [ensure_group(session, g) for g in (groups or [])]
    session.add(user)
    session.flush()
    return user
