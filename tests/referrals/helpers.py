"""Set-up for the referral tests: a small workflow with the procedures' referral contract
(consent form → referral task with ``referral=true`` → ``jawaban_rujukan`` catch → rejected or revoked
goes back to choosing another partner), cases with a distinctive victim, and shortcuts for each step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.conftest import T0

DATA = Path(__file__).parent / "data"
KEY = "uji_rujukan"
#: Strings that appear nowhere else: finding one in a response means case data leaked.
VICTIM = "Sukmawati Rahayuningsih"
STORY = "Kronologi rahasia: kejadian di rumah kos Jalan Anggrek"
PHONE = "0812-7788-9911"
SUMMARY = "Mohon pemeriksaan dan pendampingan pelaporan."


@dataclass
class Started:
    case_id: int
    reference: str


def user(session: Any, username: str) -> Any:
    from server.auth.models import User

    return session.execute(select(User).where(User.username == username)).scalar_one()


def install_workflow(app: Any) -> None:
    """Load the test workflow (inside the test's rolled-back transaction)."""
    from server.db import unit_of_work
    from server.workflows import service as workflows_service
    from server.workflows.models import WorkflowDefinition

    with app.app_context(), unit_of_work() as session:
        if session.execute(select(WorkflowDefinition).where(WorkflowDefinition.key == KEY)).scalar_one_or_none():
            return
        workflows_service.create_version(session, key=KEY, xml=(DATA / f"{KEY}.bpmn").read_bytes(), now=T0,
                                         comment="test", activate=True)


def consent_form(*agencies: str) -> dict[str, Any]:
    return {"diberi_info_hak": True, "persetujuan_dari": "korban", "persetujuan_layanan": True,
            "persetujuan_berbagi_info": list(agencies), "persetujuan_pelaporan_agregat": True,
            "override_tanpa_persetujuan": False, "informasi_dirahasiakan_dari": "Jangan beri tahu keluarga suami"}


def referral_form(to: str = "polres_unit_ppa", *, identity: bool = True, **over: Any) -> dict[str, Any]:
    return {"ke_lembaga": to, "layanan_diminta": "penegakan_hukum", "tgl_kirim": "2026-11-23T09:00:00+07:00",
            "dokumen_dikirim": ["surat_rujukan"], "bagikan_identitas": identity,
            "ringkasan_rujukan": SUMMARY, **over}


def open_task(session: Any, case_id: int, bpmn_id: str) -> Any:
    from server.tasks.models import Task

    return session.execute(select(Task).where(Task.case_id == case_id, Task.bpmn_id == bpmn_id,
                                              Task.status == "open")).scalar_one_or_none()


def start(app: Any, *, consent: tuple[str, ...] | None = ("polisi",), by: str = "pendamping",
          victim: str = VICTIM) -> Started:
    """A case of the test workflow with the victim's identity in its data; consent recorded unless None."""
    from server.cases import service as cases
    from server.db import unit_of_work
    from server.tasks import service as tasks

    install_workflow(app)
    with app.app_context(), unit_of_work() as session:
        worker = user(session, by)
        started = cases.start_case(session, workflow_key=KEY, user=worker, now=T0, data={
            "nama_korban": victim, "telepon_korban": PHONE, "kronologi": STORY, "usia_korban": 31})
        if consent is not None:
            tasks.complete(session, task_id=started.new_tasks[0].id, user=worker, now=T0, data=consent_form(*consent))
        return Started(started.case.id, started.case.reference)


def refer(app: Any, case_id: int, *, by: str = "pendamping", **form: Any) -> Any:
    """Complete the referral step; returns the new referral (raises what the service raises)."""
    from server.db import unit_of_work
    from server.referrals.models import Referral
    from server.tasks import service as tasks

    with app.app_context(), unit_of_work() as session:
        task = open_task(session, case_id, "rujukan")
        assert task is not None, "the case is not at its referral step"
        tasks.complete(session, task_id=task.id, user=user(session, by), now=T0, data=referral_form(**form))
        return session.execute(select(Referral).where(Referral.task_id == task.id)).scalar_one()


def referral(app: Any, referral_id: int) -> Any:
    from server.db import unit_of_work
    from server.referrals.models import Referral

    with app.app_context(), unit_of_work() as session:
        return session.get(Referral, referral_id)


def case_data(app: Any, case_id: int) -> dict[str, Any]:
    from server.cases import service as cases
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        return cases.load_instance(cases.get_case(session, case_id)).data


def audit_actions(app: Any, case_id: int) -> list[tuple[str, dict[str, Any]]]:
    from server.audit.models import AuditEvent
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        rows = session.execute(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))
        return [(e.action, e.details or {}) for e in rows.scalars()]


def make_partner(app: Any, *, username: str, code: str, email: str | None = None) -> None:
    """Another partner user, of the agency with ``code``."""
    from server.auth import service as auth_service
    from server.db import unit_of_work
    from server.referrals import agencies

    with app.app_context(), unit_of_work() as session:
        auth_service.create_user(session, username=username, password="sinergi-demo", now=T0,  # noqa: S106
                                 groups=["mitra"], email=email)
        assert agencies.link_user(session, username=username, code=code)


def english(web: Any) -> None:
    """Switch the logged-in browser to English (Indonesian is the default), to read the page's text."""
    assert web.post_form("/notifications", "/language", {"locale": "en"}).status_code == 302
