"""Need-to-know: masking of victims' identifying fields in lists, unit-scoped visibility, the case access log
for managers, and the hook through which partner agencies will see referred cases."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from tests.conftest import T0
from tests.security.helpers import VICTIM, seed_case, signed_in, user


def _start_as(app, username, data):
    from server.cases import service as cases
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        return cases.start_case(session, workflow_key="konsultasi", user=user(session, username), now=T0,
                                data=data).case.id


def test_identifying_fields_are_masked_in_lists_for_roles_that_may_not_see_them(app, session):
    from server.auth.models import Group

    case_id = _start_as(app, "data", {"nama_korban": VICTIM, "usia_korban": 18})
    data_client, data_headers = signed_in(app, "data")
    listed = data_client.get("/api/v1/cases", headers=data_headers).get_json()["items"]
    summary = next(c for c in listed if c["id"] == case_id)["summary"]
    assert summary["nama_korban"] == "Z******* Q*********"
    assert summary["usia_korban"] == 18  # not identifying: kept for statistics
    assert VICTIM not in data_client.get("/cases").get_data(as_text=True)
    assert "Z******* Q*********" in data_client.get("/cases").get_data(as_text=True)

    # A caseworker's role unmasks; holding it in addition to the data officer role unmasks too.
    with app.app_context():
        officer = user(db.session, "data")
        officer.groups.append(db.session.execute(select(Group).where(Group.name == "pendamping")).scalar_one())
        db.session.commit()
    listed = data_client.get("/api/v1/cases", headers=data_headers).get_json()["items"]
    assert next(c for c in listed if c["id"] == case_id)["summary"]["nama_korban"] == VICTIM


def test_group_visibility_stays_inside_the_unit(app, session):
    from server.auth import service as auth_service
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        other_unit = auth_service.ensure_unit(s, "PDG", "UPTD PPA Kota Padang")
        own_unit = auth_service.ensure_unit(s, app.config["OFFICE_CODE"], "")
        auth_service.create_user(s, username="pendamping_padang", password="x" * 12, now=T0,
                                 groups=["pendamping"], unit=other_unit)
        auth_service.create_user(s, username="pendamping_dua", password="x" * 12, now=T0,
                                 groups=["pendamping"], unit=own_unit)
        auth_service.create_user(s, username="kepala_padang", password="x" * 12, now=T0,
                                 groups=["kepala_uptd"], unit=other_unit)
    case_id = _start_as(app, "intake", {"nama_korban": VICTIM})  # first task waits for group pendamping
    colleague, headers = signed_in(app, "pendamping_dua")
    assert colleague.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 200
    for outsider in ("pendamping_padang", "kepala_padang"):
        client, headers = signed_in(app, outsider)
        assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 404, outsider
        assert VICTIM not in client.get("/api/v1/cases", headers=headers).get_data(as_text=True)
        assert VICTIM not in client.get(f"/cases/{case_id}").get_data(as_text=True)


def test_managers_read_a_cases_access_log(app, session):
    seeded = seed_case(app)
    reader, headers = signed_in(app, "pendamping")
    reader.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    assert reader.get(f"/api/v1/cases/{seeded.case_id}", headers=headers).status_code == 200
    assert reader.get(f"/api/v1/cases/{seeded.case_id}/access-log", headers=headers).status_code == 404

    manager, headers = signed_in(app, "kepala")
    log = manager.get(f"/api/v1/cases/{seeded.case_id}/access-log", headers=headers).get_json()["items"]
    assert any(e["actor"] == "pendamping" and e["action"] == "case.read" and e["ip"] == "10.1.1.1" for e in log)
    assert log == sorted(log, key=lambda e: -e["id"])  # newest first
    page = manager.get(f"/cases/{seeded.case_id}/access-log").get_data(as_text=True)
    assert "pendamping" in page and "10.1.1.1" in page
    older = manager.get(f"/api/v1/cases/{seeded.case_id}/access-log?before={log[-1]['id']}",
                        headers=headers).get_json()["items"]
    assert all(e["id"] < log[-1]["id"] for e in older)
    # Reading the log is itself logged.
    log = manager.get(f"/api/v1/cases/{seeded.case_id}/access-log", headers=headers).get_json()["items"]
    assert any(e["action"] == "case.access_log_read" and e["actor"] == "kepala" for e in log)


def test_partner_access_only_through_a_registered_referral_rule(app, session):
    from server.auth.models import PartnerAgency
    from server.cases import access
    from server.cases.models import Case

    seeded = seed_case(app)
    other = _start_as(app, "pendamping", {})
    with app.app_context():
        partner = user(db.session, "mitra")
        agency = PartnerAgency(code="polres-uji", name="Unit PPA Polres (uji)")
        db.session.add(agency)
        db.session.flush()
        partner.partner_id = agency.id
        db.session.flush()
        assert not access.partner_has_referral(db.session, partner, seeded.case_id)  # no rule: nothing

        def referred(u):
            return Case.id == seeded.case_id if u.partner_id == agency.id else None

        access.register_partner_rule(referred)
        try:
            assert access.partner_has_referral(db.session, partner, seeded.case_id)
            assert not access.partner_has_referral(db.session, partner, other)
            # The whole case stays out of reach: partners never pass the staff visibility check.
            case = db.session.get(Case, seeded.case_id)
            assert not access.can_see_case(db.session, partner, case)
            assert not access.partner_has_referral(db.session, user(db.session, "pendamping"), seeded.case_id)
        finally:
            access.unregister_partner_rule(referred)
        db.session.rollback()


def test_refused_case_reads_are_audited_although_the_request_failed(app, session):
    from server.audit.models import AuditEvent

    seeded = seed_case(app)
    client, headers = signed_in(app, "intake")
    client.environ_base["REMOTE_ADDR"] = "10.6.6.6"
    assert client.get(f"/api/v1/cases/{seeded.case_id}", headers=headers).status_code == 404
    assert client.get(f"/cases/{seeded.case_id}").status_code == 404
    with app.app_context():
        refused = list(db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "case.read_denied", AuditEvent.case_id == seeded.case_id)).scalars())
        reads = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "case.read", AuditEvent.actor_name == "intake")).first()
    assert [(e.actor_name, e.ip) for e in refused] == [("intake", "10.6.6.6")] * 2
    assert reads is None
