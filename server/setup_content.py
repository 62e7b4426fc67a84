"""Factory defaults: roles/groups, lane mapping, the office unit, shipped workflows and forms."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import service as auth_service
from server.auth.models import LaneMapping
from server.auth.permissions import Role
from server.forms import service as forms_service
from server.referrals import agencies as referral_agencies
from server.workflows import service as workflows_service

GROUP_TITLES = {
    Role.ADMIN: "Administrator",
    Role.INTAKE: "Petugas Penerimaan Pengaduan",
    Role.CASEWORKER: "Pendamping PPA",
    Role.MANAGER: "Kepala UPTD PPA (Manajer Kasus)",
    Role.PROFESSIONAL: "Tenaga Profesional (psikolog, advokat, pekerja sosial)",
    Role.DATA_OFFICER: "Pengelola Data (SIMFONI-PPA)",
    Role.PARTNER: "Mitra (lembaga rujukan)",
}
#: Lanes of the shipped workflows that are not named after a group.
EXTRA_LANES = {"gugus_tugas": Role.MANAGER, "mitra_eksternal": Role.PARTNER}


def install(session: Session, *, content_dir: Path, now: datetime, office_code: str, office_name: str) -> dict[str, list[str]]:
    """Idempotently create groups, lane mappings, the unit, and version 1 of shipped definitions."""
    for role, title in GROUP_TITLES.items():
        auth_service.ensure_group(session, role.value, title)
    for role in GROUP_TITLES:
        if role in (Role.ADMIN,):
            continue
        _map_lane(session, role.value, role.value)
    for lane, role in EXTRA_LANES.items():
        _map_lane(session, lane, role.value)
    auth_service.ensure_unit(session, office_code, office_name)
    referral_agencies.ensure_agencies(session)  # the city's partner agencies (domain.md §7)
    forms = forms_service.load_files(session, forms_dir=content_dir / "forms", now=now)
    workflows = workflows_service.load_files(session, workflows_dir=content_dir / "workflows", now=now)
    return {"forms": forms, "workflows": workflows}


def _map_lane(session: Session, lane: str, group_name: str) -> None:
    if session.execute(select(LaneMapping).where(LaneMapping.lane == lane)).scalar_one_or_none() is None:
        group = auth_service.ensure_group(session, group_name)
        session.add(LaneMapping(lane=lane, group_id=group.id))
        session.flush()
