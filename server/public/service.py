"""Public complaint intake: the registration form without an account, throttled per address, starting a
case in the intake group's inbox. The reporter gets a receipt number and can read nothing back."""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth import service as auth_service
from server.auth.models import User
from server.cases import service as cases_service
from server.errors import DomainError, NotFoundError
from server.forms import service as forms_service
from server.forms.models import FormVersion
from server.notifications import service as notify
from server.public.models import PublicComplaint, RateLimitHit

FORM_KEY = "pengaduan"
#: The account public complaints are registered under: no group, no usable password, never active.
PUBLIC_USERNAME = "pengaduan.publik"
#: Fields the office fills in, not the reporter (set by the server or left to the intake officer).
STAFF_FIELDS = frozenset({"no_registrasi", "tgl_pengaduan", "cara_pengaduan", "lembaga_perujuk"})
#: What a reporter must give; the intake officer completes the rest when registering the case.
PUBLIC_REQUIRED = ("kronologi",)
KEY_PREFIX = "intake:"
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone


class ThrottledError(DomainError):
    status = 429
    code = "too_many_requests"

    def default_message(self) -> str:
        from flask_babel import gettext

        return gettext("Too many complaints were sent from here. Please try again later or call the office.")


def throttle_key(ip: str, *, secret: str) -> str:
    """A keyed hash of the client address: counts attempts without storing the address."""
    digest = hmac.new(secret.encode("utf-8"), ip.encode("utf-8"), hashlib.sha256).hexdigest()
    return KEY_PREFIX + digest[:64]


def count_attempt(session: Session, *, key: str, now: datetime, window: timedelta, limit: int,
                  total_limit: int) -> None:
    """Count one attempt, or refuse it when this address (or everyone together) used up the window."""
    since = now - window
    session.execute(delete(RateLimitHit).where(RateLimitHit.at < since))
    mine = session.execute(
        select(func.count()).select_from(RateLimitHit).where(RateLimitHit.key == key, RateLimitHit.at >= since)
    ).scalar_one()
    everyone = session.execute(
        select(func.count()).select_from(RateLimitHit)
        .where(RateLimitHit.key.like(KEY_PREFIX + "%"), RateLimitHit.at >= since)
    ).scalar_one()
    if mine >= limit or everyone >= total_limit:
        raise ThrottledError()
    session.add(RateLimitHit(key=key, at=now))
    session.flush()


def public_form(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    """The active registration form without the office's fields, asking only for what a reporter knows."""
    version = forms_service.get_active(session, FORM_KEY)
    if version is None:
        raise NotFoundError()
    schema = copy.deepcopy(version.schema)
    ui = copy.deepcopy(version.ui_schema or {})
    props = schema.get("properties") or {}
    for name in STAFF_FIELDS:
        props.pop(name, None)
        ui.pop(name, None)
    schema["required"] = [r for r in schema.get("required") or [] if r in PUBLIC_REQUIRED and r in props]
    if isinstance(schema.get("allOf"), list):
        schema["allOf"] = [part for part in schema["allOf"] if not _mentions(part.get("if"), STAFF_FIELDS)]
    if isinstance(ui.get("ui:order"), list):
        ui["ui:order"] = [n for n in ui["ui:order"] if n not in STAFF_FIELDS]
    return schema, ui


def _mentions(node: Any, names: frozenset[str]) -> bool:
    """The schema part names one of ``names`` (as a property or in ``required``)."""
    if isinstance(node, dict):
        return any(k in names or _mentions(v, names) for k, v in node.items())
    if isinstance(node, list):
        return any((isinstance(v, str) and v in names) or _mentions(v, names) for v in node)
    return False


def _public_user(session: Session, *, office_code: str, office_name: str, now: datetime) -> User:
    user = session.execute(select(User).where(User.username == PUBLIC_USERNAME)).scalar_one_or_none()
    if user is None:
        unit = auth_service.ensure_unit(session, office_code, office_name)
        user = auth_service.create_user(session, username=PUBLIC_USERNAME, password=secrets.token_urlsafe(32),
                                        now=now, full_name="Pengaduan publik (formulir daring)", groups=[], unit=unit)
        user.is_active = False
    return user


def _receipt(session: Session) -> str:
    for _ in range(20):
        raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
        receipt = f"PGD-{raw[:5]}-{raw[5:]}"
        if session.execute(select(PublicComplaint.id).where(PublicComplaint.receipt == receipt)).first() is None:
            return receipt
    raise DomainError("could not allocate a receipt number")  # 32^10 numbers: only a broken RNG gets here


def decoy_receipt() -> str:
    """What a bot that filled the honeypot sees: a receipt that looks real and refers to nothing."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
    return f"PGD-{raw[:5]}-{raw[5:]}"


def submit(session: Session, *, data: Any, now: datetime, workflow_key: str, office_code: str, office_name: str,
           office_tz: str = "Asia/Jakarta", translate: Any = None) -> PublicComplaint:
    """Validate the reporter's answers and start a case; its first task waits in the intake group's inbox."""
    schema, _ui = public_form(session)
    cleaned = forms_service.validate_submission(FormVersion(schema=schema, ui_schema={}), data, translate=translate)
    receipt = _receipt(session)
    reported_at = now.astimezone(ZoneInfo(office_tz)).isoformat(timespec="seconds")
    start_data = {**cleaned, "tgl_pengaduan": reported_at, "cara_pengaduan": "lainnya",
                  "sumber_pengaduan": "formulir_publik", "no_tanda_terima": receipt}
    user = _public_user(session, office_code=office_code, office_name=office_name, now=now)
    result = cases_service.start_case(session, workflow_key=workflow_key, user=user, now=now, data=start_data,
                                      unit_code=office_code)
    notify.tasks_created(session, tasks=result.new_tasks, now=now)
    row = PublicComplaint(receipt=receipt, case_id=result.case.id, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, action="case.public_complaint", actor=user, now=now, object_type="public_complaint",
                 object_id=row.id, case_id=result.case.id, details={"receipt": receipt})
    return row
