"""Workflow versions: drafts, activation (re-checked), roll back, compare; migration of running cases."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import LaneMapping, User
from server.cases import service as cases_service
from server.errors import ConflictError, ValidationFailedError
from server.tasks import service as tasks_service
from server.workflows import migration, service
from tests.admin import bpmn
from tests.conftest import T0

TWO = [("pertama", "Pertama"), ("kedua", "Kedua")]


@pytest.fixture
def key() -> str:
    """A workflow key of its own: on SQLite, commits inside a test are not always rolled back."""
    return "uji_" + uuid.uuid4().hex[:8]


def _user(session: Any, username: str) -> User:
    return session.execute(select(User).where(User.username == username)).scalar_one()


def _audit(session: Any, action: str) -> list[AuditEvent]:
    return list(session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)).scalars())


def test_saving_creates_a_draft_and_activation_switches_new_cases(app: Any, session: Any, key: str) -> None:
    with app.app_context():
        admin, worker = _user(session, "admin"), _user(session, "pendamping")
        v1 = service.create_version(session, key=key, xml=bpmn.linear(TWO, process_id=key), now=T0, author=admin)
        assert service.get_definition(session, key).active_version_id == v1.id  # the first version is active
        v2 = service.create_version(session, key=key, xml=bpmn.linear([("pertama", "Pertama baru"), *TWO[1:]], process_id=key),
                                    now=T0, author=admin, comment="rename")
        assert (v2.number, v2.comment, v2.author_id) == (2, "rename", admin.id)
        assert service.get_definition(session, key).active_version_id == v1.id  # a draft until activated
        again = service.create_version(session, key=key, xml=bpmn.linear([("pertama", "Pertama baru"), *TWO[1:]], process_id=key),
                                       now=T0, author=admin)
        assert again.id == v2.id  # same content, no new version
        assert cases_service.start_case(session, workflow_key=key, user=worker, now=T0).new_tasks[0].name == "Pertama"
        service.activate_version(session, key=key, number=2, now=T0, actor=admin)
        started = cases_service.start_case(session, workflow_key=key, user=worker, now=T0)
        assert started.new_tasks[0].name == "Pertama baru"
        assert started.case.workflow_version.number == 2
        session.commit()
        assert [e.details["number"] for e in _audit(session, "workflow.activated")][-1] == 2


def test_roll_back_returns_to_the_previously_active_version(app: Any, session: Any, key: str) -> None:
    with app.app_context():
        admin = _user(session, "admin")
        service.create_version(session, key=key, xml=bpmn.linear(TWO, process_id=key), now=T0, author=admin)
        service.create_version(session, key=key, xml=bpmn.linear(TWO[:1], process_id=key), now=T0, author=admin, activate=True)
        session.commit()
        assert service.get_definition(session, key).active_version.number == 2
        assert service.rollback(session, key=key, now=T0, actor=admin).number == 1
        session.commit()
        assert _audit(session, "workflow.rolled_back")[-1].details == {"number": 1, "previous": 2}


def test_roll_back_without_an_earlier_version_is_a_conflict(app: Any, session: Any, key: str) -> None:
    with app.app_context():
        service.create_version(session, key=key, xml=bpmn.linear(TWO, process_id=key), now=T0)
        session.commit()
        with pytest.raises(ConflictError):
            service.rollback(session, key=key, now=T0)


def test_activation_checks_the_version_again_against_todays_lane_mapping(app: Any, session: Any, key: str) -> None:
    with app.app_context():
        xml = bpmn.linear(TWO, process_id=key).replace(b'name="pendamping"', b'name="lajur_sementara"')
        group = session.execute(select(LaneMapping).where(LaneMapping.lane == "pendamping")).scalar_one().group
        session.add(LaneMapping(lane="lajur_sementara", group_id=group.id))
        session.flush()
        service.create_version(session, key=key, xml=bpmn.linear(TWO[:1], process_id=key), now=T0)
        service.create_version(session, key=key, xml=xml, now=T0)
        session.execute(LaneMapping.__table__.delete().where(LaneMapping.lane == "lajur_sementara"))
        with pytest.raises(ValidationFailedError) as caught:
            service.activate_version(session, key=key, number=2, now=T0)
        assert [d["code"] for d in caught.value.details] == ["lane_unmapped"]
        assert service.get_definition(session, key).active_version.number == 1


def test_compare_lists_tasks_added_removed_and_changed(app: Any, session: Any, key: str) -> None:
    with app.app_context():
        service.create_version(session, key=key, xml=bpmn.linear(TWO, process_id=key), now=T0)
        service.create_version(session, key=key, xml=bpmn.linear([("pertama", "Pertama (ubah)"), ("ketiga", "Ketiga")], process_id=key),
                               now=T0)
        changes = {(c.bpmn_id, c.change) for c in service.compare_versions(session, key=key, old=1, new=2)}
        assert {("kedua", "removed"), ("ketiga", "added"), ("pertama", "changed")} <= changes
        renamed = next(c for c in service.compare_versions(session, key=key, old=1, new=2) if c.bpmn_id == "pertama")
        assert "bpmn_name" in renamed.attributes and renamed.name == "Pertama (ubah)"


# --- migration of running cases ---------------------------------------------------------------------------

def _two_cases(session: Any, key: str) -> tuple[Any, Any]:
    """Case A waits on the first task; case B has completed it and waits on the second."""
    admin, worker = _user(session, "admin"), _user(session, "pendamping")
    service.create_version(session, key=key, xml=bpmn.linear(TWO, process_id=key), now=T0, author=admin)
    a = cases_service.start_case(session, workflow_key=key, user=worker, now=T0)
    b = cases_service.start_case(session, workflow_key=key, user=worker, now=T0)
    tasks_service.complete(session, task_id=b.new_tasks[0].id, user=worker, now=T0, data={"keputusan": "setuju"})
    return a.case, b.case


def test_dry_run_tells_which_cases_can_move_and_why_the_others_cannot(app: Any, session: Any, key: str) -> None:
    with app.app_context():
        a, b = _two_cases(session, key)
        service.create_version(session, key=key, xml=bpmn.linear([("pertama", "Pertama (ubah)"), *TWO[1:]], process_id=key), now=T0)
        plan = migration.plan(session, key=key, target_number=2)
        verdicts = {m.case_id: m for m in plan.moves}
        assert plan.total == 2
        assert verdicts[a.id].can_move and verdicts[a.id].reasons == []
        assert verdicts[a.id].reset == ["Pertama (pertama)"]
        assert not verdicts[b.id].can_move
        assert "pertama" in verdicts[b.id].reasons[0] and "bpmn_name" in verdicts[b.id].reasons[0]
        assert a.workflow_version.number == 1  # nothing moved


def test_bulk_moves_the_safe_cases_only_and_audits_each(app: Any, session: Any, key: str) -> None:
    with app.app_context():
        a, b = _two_cases(session, key)
        admin = _user(session, "admin")
        service.create_version(session, key=key, xml=bpmn.linear([("pertama", "Pertama (ubah)"), *TWO[1:]], process_id=key), now=T0)
        result = migration.migrate_bulk(session, key=key, target_number=2, actor=admin, now=T0)
        assert {m.case_id for m in result.moves if m.moved} == {a.id}
        assert [m.case_id for m in result.blocked] == [b.id]
        session.commit()
        assert cases_service.get_case(session, a.id).workflow_version.number == 2
        assert cases_service.get_case(session, b.id).workflow_version.number == 1
        open_task = next(t for t in cases_service.case_tasks(session, a.id) if t.status == "open")
        assert open_task.name == "Pertama (ubah)"  # the kept task row took the new name
        moved = [e for e in _audit(session, "case.migrated") if e.case_id in (a.id, b.id)]
        assert [(e.case_id, e.details["from"], e.details["to"]) for e in moved] == [(a.id, 1, 2)]
        # the moved case runs on: completing its task reaches the next one of the new version
        done = tasks_service.complete(session, task_id=open_task.id, user=_user(session, "pendamping"), now=T0,
                                      data={"keputusan": "setuju"})
        assert [t.bpmn_id for t in done.next_tasks] == ["kedua"]


def test_a_case_that_cannot_move_is_refused_one_by_one(app: Any, session: Any, key: str) -> None:
    with app.app_context():
        _a, b = _two_cases(session, key)
        service.create_version(session, key=key, xml=bpmn.linear([("kedua", "Kedua")], process_id=key), now=T0)  # drops "pertama"
        with pytest.raises(ConflictError) as caught:
            migration.migrate_case(session, case_id=b.id, target_number=2, actor=None, now=T0)
        assert any("pertama" in d["message"] for d in caught.value.details)


def test_migration_warns_that_waiting_timers_restart_and_restarts_them(app: Any, session: Any, key: str) -> None:
    boundary = ('<bpmn:boundaryEvent id="pengingat" attachedToRef="pertama" cancelActivity="false">'
                '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT24H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                '</bpmn:boundaryEvent><bpmn:endEvent id="end_pengingat" />'
                + bpmn.flow("fp", "pengingat", "end_pengingat"))
    with app.app_context():
        worker = _user(session, "pendamping")
        service.create_version(session, key=key, xml=bpmn.linear(TWO, extra={"pertama": boundary}, process_id=key), now=T0)
        case = cases_service.start_case(session, workflow_key=key, user=worker, now=T0).case
        assert case.next_timer_at == T0 + timedelta(hours=24)
        renamed = bpmn.linear([("pertama", "Pertama"), ("kedua", "Kedua (ubah)")], extra={"pertama": boundary},
                              process_id=key)
        service.create_version(session, key=key, xml=renamed, now=T0)
        later = T0 + timedelta(hours=5)
        verdict = migration.check_case(session, case_id=case.id, target_number=2)
        assert verdict.can_move and verdict.timers == ["pengingat (pengingat)"]
        migration.migrate_case(session, case_id=case.id, target_number=2, actor=None, now=later)
        assert case.next_timer_at == later + timedelta(hours=24)
