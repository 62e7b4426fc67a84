"""The form a partner answers a referral with: the active ``jawaban_rujukan`` form, narrowed to the answers
the referral's status allows (an accepted referral can only be reported done)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from server.forms import service as forms_service
from server.forms.models import FormVersion
from server.referrals.states import ANSWER_STATUS, MESSAGE_STATUS, REFERRAL_TRANSITIONS, ReferralStatus

FORM_KEY = "jawaban_rujukan"

#: Used when an office has no ``jawaban_rujukan`` form (it is shipped; an admin may replace it).
FALLBACK_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Jawaban Rujukan", "required": ["status"],
    "properties": {
        "status": {"type": "string", "title": "Jawaban", "oneOf": [
            {"const": "diterima", "title": "Diterima"}, {"const": "ditolak", "title": "Ditolak"},
            {"const": "selesai", "title": "Layanan selesai"}]},
        "petugas": {"type": "string", "title": "Petugas mitra", "maxLength": 120},
        "catatan": {"type": "string", "title": "Catatan", "maxLength": 2000},
    },
    "if": {"properties": {"status": {"const": "ditolak"}}, "required": ["status"]},
    "then": {"required": ["catatan"]},
}
FALLBACK_UI: dict[str, Any] = {"ui:order": ["status", "petugas", "catatan"], "status": {"ui:widget": "radio"},
                               "catatan": {"ui:widget": "textarea"}}


@dataclass
class AnswerForm:
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    choices: list[str]  # message status values still possible

    @property
    def version(self) -> FormVersion:
        """A transient version for server-side validation (never stored)."""
        return FormVersion(schema=self.schema, ui_schema=self.ui_schema)


def allowed_answers(status: str) -> list[str]:
    """The partner's possible answers from this status (revoking is the manager's, not an answer)."""
    nexts = REFERRAL_TRANSITIONS[ReferralStatus(status)]
    return [MESSAGE_STATUS[s] for s in (ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.DONE)
            if s in nexts]


def form_for(session: Session, status: str) -> AnswerForm:
    version = forms_service.get_active(session, FORM_KEY)
    schema = copy.deepcopy(version.schema) if version else copy.deepcopy(FALLBACK_SCHEMA)
    ui = copy.deepcopy(version.ui_schema or {}) if version else copy.deepcopy(FALLBACK_UI)
    choices = allowed_answers(status)
    field = (schema.get("properties") or {}).get("status")
    if isinstance(field, dict):
        if isinstance(field.get("oneOf"), list):
            field["oneOf"] = [o for o in field["oneOf"] if isinstance(o, dict) and o.get("const") in choices]
        elif isinstance(field.get("enum"), list):
            field["enum"] = [v for v in field["enum"] if v in choices]
    return AnswerForm(schema, ui, choices)


def to_status(value: Any) -> ReferralStatus | None:
    return ANSWER_STATUS.get(str(value)) if value is not None else None


@dataclass(frozen=True)
class Answer:
    """A validated answer to a referral, ready for ``service.answer``."""

    status: ReferralStatus
    note: str
    officer: str
    answered_on: str

    def as_kwargs(self) -> dict[str, Any]:
        return {"status": self.status, "note": self.note, "officer": self.officer, "answered_on": self.answered_on}


def read(form: AnswerForm, data: Any, *, translate: Any = None) -> Answer:
    """Validate a submitted answer form on the server (the partner's portal and staff recording an answer
    given by phone both use it); raises ValidationFailedError with the fields in error."""
    from flask_babel import gettext

    from server.errors import ValidationFailedError

    cleaned = forms_service.validate_submission(form.version, data, translate=translate)
    status = to_status(cleaned.get("status"))
    if status is None:
        raise ValidationFailedError(details=[{"field": "status", "keyword": "required",
                                              "message": gettext("Choose an answer.")}])
    return Answer(status, str(cleaned.get("catatan") or ""), str(cleaned.get("petugas") or ""),
                  str(cleaned.get("tanggal_jawaban") or ""))
