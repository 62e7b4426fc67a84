"""Demo users and sample cases. Every name is generated and marked fictitious."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import service as auth_service
from server.auth.models import User
from server.auth.permissions import Role

DEMO_PASSWORD = "sinergi-demo"  # noqa: S105 - documented demo credential, created only by --demo

DEMO_USERS = [
    ("admin", "Admin Sinergi (demo)", [Role.ADMIN]),
    ("intake", "Rina Petugas (fiktif)", [Role.INTAKE]),
    ("pendamping", "Sari Pendamping (fiktif)", [Role.CASEWORKER]),
    ("kepala", "Budi Kepala UPTD (fiktif)", [Role.MANAGER]),
    ("profesional", "Dewi Psikolog (fiktif)", [Role.PROFESSIONAL]),
    ("data", "Andi Pengelola Data (fiktif)", [Role.DATA_OFFICER]),
    ("mitra", "Iptu Yusuf, Unit PPA Polres (fiktif)", [Role.PARTNER]),
]


def create_users(session: Session, *, now: datetime, unit_code: str) -> list[str]:
    unit = auth_service.ensure_unit(session, unit_code, unit_code)
    created = []
    for username, full_name, roles in DEMO_USERS:
        if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
            continue
        auth_service.create_user(session, username=username, password=DEMO_PASSWORD, now=now, full_name=full_name,
                                 groups=[r.value for r in roles], unit=unit)
        created.append(username)
    from server.referrals import agencies

    agencies.ensure_agencies(session)
    agencies.link_user(session, username="mitra", code="polres_unit_ppa")  # the police's PPA unit
    return created


def create_sample_cases(session: Session, *, now: datetime) -> int:
    """A few cases of each shipped workflow, in several stages (extended by the procedures' demo data)."""
    try:
        from server import demo_cases
    except ImportError:
        demo_cases = None  # type: ignore[assignment]
    if demo_cases is not None:
        return int(demo_cases.create(session, now=now))
    return _simple_cases(session, now=now)


def _simple_cases(session: Session, *, now: datetime) -> int:
    from server.cases import service as cases_service
    from server.cases.models import Case
    from server.tasks import service as tasks_service

    if session.execute(select(Case.id).limit(1)).first():
        return 0
    pendamping = session.execute(select(User).where(User.username == "pendamping")).scalar_one()
    kepala = session.execute(select(User).where(User.username == "kepala")).scalar_one()
    n = 0
    for i in range(3):
        result = cases_service.start_case(session, workflow_key="konsultasi", user=pendamping, now=now)
        n += 1
        if i >= 1:
            task = result.new_tasks[0]
            done = tasks_service.complete(session, task_id=task.id, user=pendamping, now=now, data={
                "topik": "hak_anak", "ringkasan": "Konsultasi contoh (fiktif)."})
            if i >= 2:
                tasks_service.complete(session, task_id=done.next_tasks[0].id, user=kepala, now=now,
                                       data={"keputusan": "setuju", "catatan": "Lengkap."})
    return n
