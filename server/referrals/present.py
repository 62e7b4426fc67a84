"""Showing a referral: what it shares (rendered read-only with the form version it was sent with), and its
JSON form for the API. Used by the staff pages and the partner portal alike."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from server.forms import readonly as form_readonly
from server.forms import service as forms_service
from server.forms.models import FormVersion
from server.referrals.consent import IDENTITY_KEYS
from server.referrals.models import Referral
from server.referrals.states import referral_label


def shared_html(session: Session, referral: Referral, translate: Any) -> tuple[Markup, Markup]:
    """The referral form's answers, and the victim's identity if it is shared (else empty)."""
    version = session.get(FormVersion, referral.form_version_id) if referral.form_version_id else None
    shared = referral.shared or {}
    form_data = shared.get("form") or {}
    if version is not None:
        form_html = form_readonly.render_readonly(version.schema, version.ui_schema or {}, form_data,
                                                translate=translate)
    else:
        form_html = form_readonly.render_readonly({"type": "object", "properties": {
            k: {"type": "string", "title": k} for k in form_data}}, {}, {k: str(v) for k, v in form_data.items()},
            translate=translate)
    identity = shared.get("identity") or {}
    if not identity:
        return form_html, Markup("")
    registration = forms_service.get_active(session, "pengaduan")
    known = (registration.schema.get("properties") or {}) if registration else {}
    schema = {"type": "object", "properties": {
        k: known.get(k) or {"type": "string", "title": k} for k in IDENTITY_KEYS if k in identity}}
    ui = {"ui:order": [k for k in IDENTITY_KEYS if k in identity]}
    return form_html, form_readonly.render_readonly(schema, ui, identity, translate=translate)


def dump(referral: Referral, *, shared: bool = False, staff: bool = False) -> dict[str, Any]:
    """A referral for the API. Partners get what is shared and never the case reference or ids."""
    out: dict[str, Any] = {
        "id": referral.id, "agency": referral.agency_code, "agency_name": referral.agency_name,
        "service": referral.service, "status": referral.status, "status_label": referral_label(referral.status),
        "sent_at": referral.sent_at.isoformat(), "respond_by": referral.respond_by,
        "answered_at": referral.answered_at.isoformat() if referral.answered_at else None,
        "closed_at": referral.closed_at.isoformat() if referral.closed_at else None,
        "reason": referral.reason or None, "note": referral.note or None, "officer": referral.officer or None,
        "shares_identity": referral.shares_identity,
    }
    if staff:
        out.update({"case_id": referral.case_id, "case_reference": referral.case.reference,
                    "consent_basis": referral.consent_basis, "previous_id": referral.previous_id,
                    "awaiting_answer": referral.awaiting_answer})
    if shared:
        out["shared"] = referral.shared or {}
    return out
