"""Partner agencies: the factory set for a city, their users, and the consent category each falls under."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import PartnerAgency, User
from server.auth.permissions import Role

#: The agencies a city's UPTD PPA works with (domain.md §7). Codes are the ``ke_lembaga`` values of the
#: ``rujukan`` form, so a referral finds its agency by the code the caseworker chose.
FACTORY_AGENCIES: tuple[tuple[str, str, str], ...] = (
    ("polres_unit_ppa", "Polres Payakumbuh - Unit PPA (Satreskrim)", "kepolisian"),
    ("rsud", "RSUD Kota Payakumbuh", "rumah_sakit"),
    ("dinsos", "Dinas Sosial Kota Payakumbuh", "dinas_sosial"),
    ("lbh_posbakum", "LBH / Posbakum", "lbh"),
    ("kejaksaan", "Kejaksaan Negeri Payakumbuh", "kejaksaan"),
    ("lpsk", "LPSK (Lembaga Perlindungan Saksi dan Korban)", "lpsk"),
    ("satgas_ppa", "Satgas PPA Kelurahan", "lainnya"),
)

#: Agency kind -> the category of the ``persetujuan_berbagi_info`` consent (form ``informasi_hak``).
KIND_CONSENT = {"kepolisian": "polisi", "rumah_sakit": "rsud_puskesmas", "puskesmas": "rsud_puskesmas",
                "dinas_sosial": "dinsos", "lbh": "lbh", "kejaksaan": "kejaksaan", "lpsk": "lpsk"}
#: The same for referrals to an agency without an account here, by the ``ke_lembaga`` code.
CODE_CONSENT = {"polres_unit_ppa": "polisi", "rsud": "rsud_puskesmas", "puskesmas": "rsud_puskesmas",
                "dinsos": "dinsos", "lbh_posbakum": "lbh", "kejaksaan": "kejaksaan", "lpsk": "lpsk"}


def ensure_agencies(session: Session) -> list[str]:
    """Create the factory partner agencies that do not exist yet (idempotent); returns the new codes."""
    existing = set(session.execute(select(PartnerAgency.code)).scalars())
    created = []
    for code, name, kind in FACTORY_AGENCIES:
        if code in existing:
            continue
        session.add(PartnerAgency(code=code, name=name, kind=kind))
        created.append(code)
    session.flush()
    return created


def by_code(session: Session, code: str | None) -> PartnerAgency | None:
    if not code:
        return None
    return session.execute(select(PartnerAgency).where(PartnerAgency.code == code)).scalar_one_or_none()


def link_user(session: Session, *, username: str, code: str) -> bool:
    """Make a user a member of an agency (the demo's ``mitra``); False if either is missing."""
    agency = by_code(session, code)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if agency is None or user is None:
        return False
    user.partner_id = agency.id
    return True


def members(session: Session, agency_id: int | None) -> list[User]:
    """Active partner users of an agency (membership is ``User.partner_id``)."""
    if agency_id is None:
        return []
    users = session.execute(
        select(User).where(User.partner_id == agency_id, User.is_active.is_(True))
    ).scalars().all()
    return [u for u in users if Role.PARTNER in u.group_names]


def consent_category(agency: PartnerAgency | None, code: str) -> str:
    """Which ``persetujuan_berbagi_info`` choice covers sharing with this agency."""
    if agency is not None and agency.kind in KIND_CONSENT:
        return KIND_CONSENT[agency.kind]
    return CODE_CONSENT.get(code, "lainnya")
