"""Administration of accounts and organisation: users, groups, lane mapping, units, partner agencies.

Every change is audited. Nothing here reads case data.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth import service as auth_service
from server.auth.models import ApiToken, Group, LaneMapping, PartnerAgency, Unit, User
from server.auth.permissions import Role
from server.errors import ConflictError, NotFoundError, ValidationFailedError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD = 10


def _invalid(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(message, details=[{"field": field, "message": message}])


def _name(value: str, field: str) -> str:
    value = (value or "").strip()
    if not NAME_RE.match(value):
        raise _invalid(field, _("Use 2 to 64 lower-case letters, digits, '_', '-' or '.'."))
    return value


def _text(value: str, field: str, *, required: bool = True, limit: int = 200) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid(field, _("This field is required."))
    if len(value) > limit:
        raise _invalid(field, _("At most %(n)s characters.", n=limit))
    return value


def _get(session: Session, model: Any, row_id: int) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise NotFoundError()
    return row


# --- users ------------------------------------------------------------------------------------------

def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def get_user(session: Session, user_id: int) -> User:
    return _get(session, User, user_id)


def _groups(session: Session, names: list[str]) -> list[Group]:
    groups = list(session.execute(select(Group).where(Group.name.in_(names or []))).scalars())
    unknown = set(names or []) - {g.name for g in groups}
    if unknown:
        raise _invalid("groups", _("Unknown group: %(names)s", names=", ".join(sorted(unknown))))
    return groups


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise _invalid("password", _("The password needs at least %(n)s characters.", n=MIN_PASSWORD))
    return password


def create_user(session: Session, *, username: str, full_name: str, email: str | None, password: str,
                groups: list[str], unit_id: int | None, partner_id: int | None, actor: User,
                now: datetime) -> User:
    username = _name(username, "username")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise _invalid("username", _("This username is taken."))
    user = User(username=username, full_name=_text(full_name, "full_name") or username,
                email=_text(email or "", "email", required=False) or None,
                password_hash=auth_service.hash_password(check_password(password)), created_at=now,
                unit_id=_ref(session, Unit, unit_id), partner_id=_ref(session, PartnerAgency, partner_id),
                notify_prefs={})
    user.groups = _groups(session, groups)
    session.add(user)
    session.flush()
    audit.record(session, action="admin.user_created", actor=actor, now=now, object_type="user",
                 object_id=user.id, details={"username": username, "groups": sorted(user.group_names)})
    return user


def _ref(session: Session, model: Any, row_id: int | None) -> int | None:
    if row_id is None:
        return None
    return int(_get(session, model, row_id).id)


def update_user(session: Session, *, user_id: int, full_name: str, email: str | None, groups: list[str],
                unit_id: int | None, partner_id: int | None, actor: User, now: datetime) -> User:
    user = get_user(session, user_id)
    new_groups = _groups(session, groups)
    if user.id == actor.id and Role.ADMIN not in {g.name for g in new_groups}:
        raise ConflictError(_("You cannot remove your own administrator role."), code="self_lockout")
    before = {"groups": sorted(user.group_names), "unit_id": user.unit_id, "partner_id": user.partner_id}
    user.full_name = _text(full_name, "full_name")
    user.email = _text(email or "", "email", required=False) or None
    user.unit_id = _ref(session, Unit, unit_id)
    user.partner_id = _ref(session, PartnerAgency, partner_id)
    user.groups = new_groups
    session.flush()
    after = {"groups": sorted(user.group_names), "unit_id": user.unit_id, "partner_id": user.partner_id}
    audit.record(session, action="admin.user_updated", actor=actor, now=now, object_type="user",
                 object_id=user.id, details={"before": before, "after": after})
    return user


def set_active(session: Session, *, user_id: int, active: bool, actor: User, now: datetime) -> User:
    """Deactivate (and revoke API tokens) or reactivate an account."""
    user = get_user(session, user_id)
    if user.id == actor.id and not active:
        raise ConflictError(_("You cannot deactivate your own account."), code="self_lockout")
    user.is_active = active
    if not active:
        session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                        .values(revoked_at=now))
    else:
        user.failed_logins, user.locked_until = 0, None
    audit.record(session, action="admin.user_activated" if active else "admin.user_deactivated", actor=actor,
                 now=now, object_type="user", object_id=user.id, details={"username": user.username})
    return user


def reset_password(session: Session, *, user_id: int, password: str | None, actor: User,
                   now: datetime) -> str:
    """Set a new password (argon2); a random one is generated when none is given. Returns it once.

    Whoever knew the old password may have a session or a token: the user's API tokens are revoked and
    their web sessions ended, so only the new password gets anyone in.
    """
    user = get_user(session, user_id)
    new = password or secrets.token_urlsafe(12)
    user.password_hash = auth_service.hash_password(check_password(new))
    user.failed_logins, user.locked_until = 0, None
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    auth_service.end_sessions(session, user=user, now=now, reason="password_reset")
    audit.record(session, action="admin.password_reset", actor=actor, now=now, object_type="user",
                 object_id=user.id, details={"username": user.username, "generated": not password})
    return new


# --- groups and lanes ----------------------------------------------------------------------------------

def list_groups(session: Session) -> list[tuple[Group, int]]:
    from server.auth.models import user_group

    counts = dict(session.execute(select(user_group.c.group_id, func.count()).group_by(user_group.c.group_id)).all())
    return [(g, int(counts.get(g.id, 0))) for g in session.execute(select(Group).order_by(Group.name)).scalars()]


def save_group(session: Session, *, group_id: int | None, name: str, title: str, actor: User,
               now: datetime) -> Group:
    title = _text(title, "title")
    if group_id is None:
        name = _name(name, "name")
        if auth_service.get_group(session, name) is not None:
            raise _invalid("name", _("A group with this name exists."))
        group = Group(name=name, title=title)
        session.add(group)
        session.flush()
        action = "admin.group_created"
    else:
        group = _get(session, Group, group_id)
        group.title = title
        action = "admin.group_updated"
    audit.record(session, action=action, actor=actor, now=now, object_type="group", object_id=group.id,
                 details={"name": group.name, "title": title})
    return group


def list_lanes(session: Session) -> list[LaneMapping]:
    return list(session.execute(select(LaneMapping).order_by(LaneMapping.lane)).scalars())


def save_lane(session: Session, *, lane: str, group_id: int, actor: User, now: datetime) -> LaneMapping:
    """Map a BPMN lane name to the group whose members work its tasks (creates or changes the mapping)."""
    lane = _text(lane, "lane", limit=100)
    group = _get(session, Group, group_id)
    row = session.execute(select(LaneMapping).where(LaneMapping.lane == lane)).scalar_one_or_none()
    before = row.group.name if row is not None else None
    if row is None:
        row = LaneMapping(lane=lane, group_id=group.id)
        session.add(row)
    else:
        row.group_id = group.id
        row.group = group
    session.flush()
    audit.record(session, action="admin.lane_mapped", actor=actor, now=now, object_type="lane", object_id=lane,
                 details={"group": group.name, "before": before})
    return row


def delete_lane(session: Session, *, mapping_id: int, actor: User, now: datetime) -> None:
    row = _get(session, LaneMapping, mapping_id)
    audit.record(session, action="admin.lane_unmapped", actor=actor, now=now, object_type="lane",
                 object_id=row.lane, details={"group": row.group.name})
    session.delete(row)
    session.flush()


def lanes_in_use(session: Session) -> dict[str, list[str]]:
    """Lane names of the active workflow versions → workflow keys (to show which lanes need a mapping)."""
    from server.workflows import service as workflows_service

    used: dict[str, list[str]] = {}
    for definition in workflows_service.list_definitions(session):
        if definition.active_version is None:
            continue
        for lane in workflows_service.parsed(definition.active_version).lanes:
            used.setdefault(lane, []).append(definition.key)
    return used


# --- units and partner agencies ------------------------------------------------------------------------

def list_units(session: Session) -> list[Unit]:
    return list(session.execute(select(Unit).order_by(Unit.code)).scalars())


def save_unit(session: Session, *, unit_id: int | None, code: str, name: str, actor: User, now: datetime) -> Unit:
    code = _text(code, "code", limit=32).upper()
    name = _text(name, "name")
    clash = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if clash is not None and clash.id != unit_id:
        raise _invalid("code", _("A unit with this code exists."))
    unit = Unit(code=code, name=name) if unit_id is None else _get(session, Unit, unit_id)
    unit.code, unit.name = code, name
    session.add(unit)
    session.flush()
    audit.record(session, action="admin.unit_saved", actor=actor, now=now, object_type="unit", object_id=unit.id,
                 details={"code": code, "name": name, "created": unit_id is None})
    return unit


PARTNER_KINDS = ("kepolisian", "rumah_sakit", "puskesmas", "dinas_sosial", "lbh", "kejaksaan", "pengadilan",
                 "lpsk", "psikolog", "rumah_aman", "lainnya")


def list_partners(session: Session) -> list[PartnerAgency]:
    return list(session.execute(select(PartnerAgency).order_by(PartnerAgency.name)).scalars())


def save_partner(session: Session, *, partner_id: int | None, code: str, name: str, kind: str,
                 group_id: int | None, actor: User, now: datetime) -> PartnerAgency:
    code = _name(code, "code")
    name = _text(name, "name")
    if kind not in PARTNER_KINDS:
        raise _invalid("kind", _("Choose a kind of agency."))
    clash = session.execute(select(PartnerAgency).where(PartnerAgency.code == code)).scalar_one_or_none()
    if clash is not None and clash.id != partner_id:
        raise _invalid("code", _("An agency with this code exists."))
    partner = PartnerAgency(code=code) if partner_id is None else _get(session, PartnerAgency, partner_id)
    partner.code, partner.name, partner.kind = code, name, kind
    partner.group_id = _ref(session, Group, group_id)
    session.add(partner)
    session.flush()
    audit.record(session, action="admin.partner_saved", actor=actor, now=now, object_type="partner_agency",
                 object_id=partner.id, details={"code": code, "name": name, "kind": kind,
                                                "created": partner_id is None})
    return partner
