"""Runtime patch, used by the benchmark ONLY when the server it measures fails on PostgreSQL with
``FOR UPDATE cannot be applied to the nullable side of an outer join``.

``Case.workflow_version`` and ``Task.case`` are ``lazy="joined"`` relationships, so ``SELECT ... FOR UPDATE``
on a case or a task becomes ``... LEFT OUTER JOIN ... FOR UPDATE``, which PostgreSQL refuses. The fix the
benchmark applies (and proposes for the server) is ``with_for_update(of=Case)`` / ``of=Task``: lock only the
row that is meant. The benchmark says in its output when this patch was in effect.
"""

from __future__ import annotations

from typing import Any


def apply() -> None:
    from sqlalchemy import select

    from server.cases import service as cases_service
    from server.cases.models import Case
    from server.errors import NotFoundError
    from server.tasks import service as tasks_service
    from server.tasks.models import Task

    def lock_case(session: Any, case_id: int) -> Case:
        case = session.execute(select(Case).where(Case.id == case_id).with_for_update(of=Case)
                               .execution_options(populate_existing=True)).scalar_one_or_none()
        if case is None:
            raise NotFoundError()
        return case

    def lock_task(session: Any, task_id: int) -> Task:
        task = session.execute(select(Task).where(Task.id == task_id).with_for_update(of=Task)
                               .execution_options(populate_existing=True)).scalar_one_or_none()
        if task is None:
            raise NotFoundError()
        return task

    cases_service.lock_case = lock_case
    tasks_service.lock_task = lock_task


PRELUDE = "sys.path.insert(0, 'bench')\nimport pgfix\npgfix.apply()"
SYMPTOM = "FOR UPDATE cannot be applied to the nullable side of an outer join"
