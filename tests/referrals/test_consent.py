"""The consent gate: identifying data leaves only with recorded consent, or on a manager's audited override."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.errors import PermissionDeniedError, ValidationFailedError
from server.referrals import consent
from server.referrals.models import Referral
from tests.conftest import T0
from tests.referrals import helpers as h


def _referral_count(app, case_id):
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        return session.execute(select(func.count()).select_from(Referral).where(Referral.case_id == case_id)).scalar()


def _override(app, case_id, *, by="kepala", reason="Kewajiban lapor UU TPKS Ps 41; korban anak.", code=None):
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        return consent.create_override(session, case_id=case_id, user=h.user(session, by), now=T0, reason=reason,
                                       agency_code=code)


@pytest.mark.parametrize("form", [{"identity": True},
                                  {"identity": False, "dokumen_dikirim": ["identitas", "surat_rujukan"]}],
                         ids=["identity", "identity-documents"])
def test_refused_without_consent(app, session, form):
    case = h.start(app, consent=("rsud_puskesmas",))  # consent covers the hospital, not the police
    with pytest.raises(ValidationFailedError) as refused:
        h.refer(app, case.case_id, **form)
    assert refused.value.code == "consent_required"
    assert refused.value.details[0]["field"] in ("bagikan_identitas", "dokumen_dikirim")
    assert _referral_count(app, case.case_id) == 0
    with app.app_context():
        assert h.open_task(session, case.case_id, "rujukan") is not None  # nothing moved


def test_refusal_is_shown_on_the_task_page(app, session, web, frozen):
    case = h.start(app, consent=())
    with app.app_context():
        task = h.open_task(session, case.case_id, "rujukan")
    web.login("pendamping")
    h.english(web)
    data = {f"f.{k}": v for k, v in h.referral_form().items() if not isinstance(v, list | bool)}
    data.update({"f.bagikan_identitas": "true", "f.dokumen_dikirim": "surat_rujukan"})
    resp = web.post_form(f"/tasks/{task.id}", f"/tasks/{task.id}", data)
    assert resp.status_code == 422
    assert "no consent to share with Police is recorded" in resp.get_data(as_text=True)
    assert _referral_count(app, case.case_id) == 0


def test_without_identity_no_consent_is_needed(app, session):
    case = h.start(app, consent=())
    sent = h.refer(app, case.case_id, identity=False)
    assert sent.consent_basis == "not_needed" and not sent.shares_identity
    assert "identity" not in sent.shared and h.VICTIM not in str(sent.shared)


def test_allowed_after_consent(app, session):
    case = h.start(app, consent=None)  # consent not yet recorded
    from server.db import unit_of_work
    from server.tasks import service as tasks

    with app.app_context(), unit_of_work() as s:
        task = h.open_task(s, case.case_id, "informasi_hak")
        tasks.complete(s, task_id=task.id, user=h.user(s, "pendamping"), now=T0, data=h.consent_form("polisi", "lbh"))
    sent = h.refer(app, case.case_id)
    assert sent.consent_basis == "consent"
    assert sent.shared["identity"] == {"nama_korban": h.VICTIM, "telepon_korban": h.PHONE, "usia_korban": 31}
    assert h.STORY not in str(sent.shared)  # the case's own chronology is not part of the referral


def test_manager_override_with_reason_is_audited_and_used_once(app, session, api, frozen):
    case = h.start(app, consent=())
    with pytest.raises(PermissionDeniedError):
        _override(app, case.case_id, by="pendamping")
    with pytest.raises(ValidationFailedError):
        _override(app, case.case_id, reason="perlu")
    override = _override(app, case.case_id, code="polres_unit_ppa")
    sent = h.refer(app, case.case_id)
    assert sent.consent_basis == "override" and sent.override_id == override.id
    assert sent.shared["identity"]["nama_korban"] == h.VICTIM
    actions = h.audit_actions(app, case.case_id)
    assert ("referral.consent_override", {"agency": "polres_unit_ppa",
                                          "reason": "Kewajiban lapor UU TPKS Ps 41; korban anak."}) in actions
    sent_details = [d for a, d in actions if a == "referral.sent"]
    assert sent_details[-1]["consent"] == "override" and sent_details[-1]["override"] == override.id
    # The override is used up: after a rejection, the next identity referral needs consent or a new override.
    resp = api("mitra").post(f"/api/v1/partner/referrals/{sent.id}/answer",
                             json={"status": "ditolak", "catatan": "Bukan wilayah hukum kami."})
    assert resp.status_code == 200, resp.get_json()
    with pytest.raises(ValidationFailedError):
        h.refer(app, case.case_id)
    assert h.refer(app, case.case_id, identity=False).consent_basis == "not_needed"


def test_override_for_one_agency_does_not_cover_another(app, session):
    case = h.start(app, consent=())
    _override(app, case.case_id, code="lpsk")
    with pytest.raises(ValidationFailedError):
        h.refer(app, case.case_id)  # to the police


def test_manager_overrides_from_the_case_referrals_page(app, session, web, frozen):
    case = h.start(app, consent=())
    web.login("kepala")
    h.english(web)
    page = f"/cases/{case.case_id}/referrals"
    html = web.client.get(page).get_data(as_text=True)
    assert "No consent is recorded" not in html and "did not agree to share information" in html
    resp = web.post_form(page, f"/cases/{case.case_id}/consent-override",
                         {"agency_code": "", "reason": "Anak dalam bahaya; wajib lapor."})
    assert resp.status_code == 302
    assert "Anak dalam bahaya" in web.client.get(page).get_data(as_text=True)
    assert h.refer(app, case.case_id).consent_basis == "override"
    caseworker = web.client.application.test_client()
    from tests.conftest import Web

    Web(caseworker).login("pendamping")
    html = caseworker.get(page).get_data(as_text=True)
    assert "consent-override" not in html  # only managers see the override form
