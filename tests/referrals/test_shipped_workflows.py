"""Referrals on the shipped procedure ``ppa_kasus_kekerasan``: its referral step and jawaban_rujukan wait
work with the referrals domain (consent from its rights form, the police partner's answers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.referrals import helpers as h
from tests.workflows import data as D
from tests.workflows.runner import T0 as WT0
from tests.workflows.runner import wib

#: Who works each lane's tasks.
LANE_USERS = {"penerima_pengaduan": "intake", "pendamping": "pendamping", "kepala_uptd": "kepala",
              "profesional": "profesional", "pengelola_data": "data"}
#: A KDRT case whose plan has one service, legal aid by the LBH (a partner agency).
STEPS: dict[str, Any] = {
    "registrasi": D.pengaduan(nama_korban=h.VICTIM),
    "identifikasi": D.identifikasi(),
    "informasi_hak": D.informasi_hak(persetujuan_berbagi_info=["polisi", "lbh"]),
    "fasilitasi_laporan_kdrt": D.laporan_polisi(WT0 + timedelta(hours=5)),
    "pantau_perlindungan_kdrt": D.perlindungan(WT0 + timedelta(hours=9)),
    "asesmen": D.asesmen(),
    "rencana_intervensi": D.rencana(D.item("bantuan_hukum", "lbh_posbakum")),
    "persetujuan_rencana": D.SETUJU,
    "input_simfoni": D.simfoni(),
}
REFERRAL = {"ke_lembaga": "lbh_posbakum", "layanan_diminta": "bantuan_hukum",
            "tgl_kirim": wib(WT0 + timedelta(days=4)), "bagikan_identitas": True,
            "ringkasan_rujukan": "KDRT fisik; korban butuh pendampingan hukum untuk gugatan cerai."}


def _ready(session: Any, case_id: int) -> list[Any]:
    from server.tasks.models import Task

    return list(session.execute(select(Task).where(Task.case_id == case_id, Task.status == "open")
                                .order_by(Task.id)).scalars())


def _drive_to(app: Any, case_id: int, target: str) -> int:
    """Complete the ready tasks with STEPS until ``target`` is ready; returns its task id."""
    from server.auth.models import Group
    from server.db import unit_of_work
    from server.tasks import service as tasks

    for _ in range(30):
        with app.app_context(), unit_of_work() as s:
            ready = _ready(s, case_id)
            found = [t for t in ready if t.bpmn_id == target]
            if found:
                return found[0].id
            todo = [t for t in ready if t.bpmn_id in STEPS]
            assert todo, f"stuck before {target}; ready: {[t.bpmn_id for t in ready]}"
            task = todo[0]
            worker = h.user(s, LANE_USERS[s.get(Group, task.group_id).name])
            tasks.complete(s, task_id=task.id, user=worker, now=WT0 + timedelta(hours=10), data=STEPS[task.bpmn_id])
    raise AssertionError(f"{target} never became ready")


def test_kekerasan_referral_to_legal_aid_accepted_then_done(app, session):
    from server.cases import service as cases
    from server.db import unit_of_work
    from server.referrals import service as referrals
    from server.referrals.models import Referral
    from server.referrals.states import ReferralStatus
    from server.tasks import service as tasks

    now = WT0 + timedelta(days=4)
    h.make_partner(app, username="lbh_advokat", code="lbh_posbakum")
    with app.app_context(), unit_of_work() as s:
        case_id = cases.start_case(s, workflow_key="ppa_kasus_kekerasan", user=h.user(s, "intake"), now=WT0).case.id
    task_id = _drive_to(app, case_id, "rujukan")
    with app.app_context(), unit_of_work() as s:
        tasks.complete(s, task_id=task_id, user=h.user(s, "pendamping"), now=now, data=REFERRAL)
        sent = s.execute(select(Referral).where(Referral.task_id == task_id)).scalar_one()
        assert (sent.status, sent.consent_basis, sent.agency_code) == ("sent", "consent", "lbh_posbakum")
        assert sent.shared["identity"]["nama_korban"] == h.VICTIM and "kronologi" not in sent.shared["identity"]
        assert cases.load_instance(cases.get_case(s, case_id)).waiting_messages() == [
            "ancaman_baru", "jawaban_rujukan", "korban_mengundurkan_diri"]
        referrals.answer(s, referral_id=sent.id, status=ReferralStatus.ACCEPTED, user=h.user(s, "lbh_advokat"),
                         now=now, officer="Advokat R (fiktif)")
        assert {t.bpmn_id for t in _ready(s, case_id)} - {"input_simfoni"} == {"catat_layanan"}
        referrals.answer(s, referral_id=sent.id, status=ReferralStatus.DONE, user=h.user(s, "lbh_advokat"),
                         now=now + timedelta(days=2), note="Gugatan didaftarkan ke Pengadilan Agama.")
        done = s.get(Referral, sent.id)
        assert done.status == "done" and done.note.startswith("Gugatan")
        assert cases.load_instance(cases.get_case(s, case_id)).data["jawaban_rujukan"]["status"] == "diterima"


def test_kekerasan_referral_revoked_goes_back_to_choosing_a_partner(app, session):
    from server.cases import service as cases
    from server.db import unit_of_work
    from server.referrals import service as referrals
    from server.referrals.models import Referral
    from server.tasks import service as tasks

    now = WT0 + timedelta(days=4)
    with app.app_context(), unit_of_work() as s:
        case_id = cases.start_case(s, workflow_key="ppa_kasus_kekerasan", user=h.user(s, "intake"), now=WT0).case.id
    task_id = _drive_to(app, case_id, "rujukan")
    with app.app_context(), unit_of_work() as s:
        tasks.complete(s, task_id=task_id, user=h.user(s, "pendamping"), now=now, data=REFERRAL)
        sent = s.execute(select(Referral).where(Referral.task_id == task_id)).scalar_one()
        referrals.revoke(s, referral_id=sent.id, user=h.user(s, "kepala"), now=now, reason="Korban menarik persetujuan.")
        assert {t.bpmn_id for t in _ready(s, case_id)} - {"input_simfoni"} == {"rujukan"}
        assert s.get(Referral, sent.id).status == "revoked"
