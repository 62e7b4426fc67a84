"""The demo data (`sinergi demo`, server/demo_cases.py) on a database of its own: what a newcomer sees after
running it. The city's yearly figures of violence against women, cases at many stages, deadlines met and
missed, only fictitious names, a second run that adds nothing, and an intact audit chain."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import func, select

from server import clock
from tests.conftest import T0, _fresh_database, make_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A fresh database on which the demo was created (as `sinergi demo` does) with today = T0."""
    from server.cli import init_database
    from server.extensions import db

    databases = _fresh_database(tmp_path_factory, "demo")
    application = make_app(next(databases))
    clock.set_clock(lambda: T0)
    try:
        loaded = init_database(application, demo=True)
    finally:
        clock.set_clock(None)
    try:
        yield application, loaded
    finally:
        with application.app_context():
            db.engine.dispose()
        databases.close()


def _aware(moment: Any) -> Any:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def test_demo_follows_the_citys_yearly_figures_of_violence_against_women(demo_app: Any) -> None:
    from server.cases.models import Case
    from server.extensions import db

    app, loaded = demo_app
    with app.app_context():
        cases = db.session.execute(select(Case)).scalars().all()
    assert loaded["cases"] == len(cases) and 50 <= len(cases) <= 70
    women = Counter(_aware(c.created_at).year for c in cases if c.summary.get("jenis_kasus") == "KtP")
    assert {year: women[year] for year in (2021, 2022, 2023, 2024, 2025)} == {
        2021: 12, 2022: 14, 2023: 4, 2024: 2, 2025: 4}
    assert women[2026] > women[2025]  # more in the current year
    kinds = {c.summary.get("jenis_kasus") for c in cases}
    assert {"KtP", "KtA", "TPPO"} <= kinds  # child victims and trafficking too
    assert min(_aware(c.created_at) for c in cases).year == 2021
    assert max(_aware(c.created_at) for c in cases) <= T0


def test_demo_cases_stop_at_many_stages_with_deadlines_met_and_missed(demo_app: Any) -> None:
    from server.cases.models import Case
    from server.extensions import db
    from server.tasks.models import Task

    app, _loaded = demo_app
    with app.app_context():
        cases = db.session.execute(select(Case)).scalars().all()
        tasks = db.session.execute(select(Task)).scalars().all()
    status = Counter(c.status for c in cases)
    assert status["closed"] >= 30 and status["open"] >= 10
    assert any(c.status == "open" and _aware(c.created_at).year == 2026 for c in cases)
    assert all(c.status == "closed" for c in cases if _aware(c.created_at).year <= 2024)  # older ones closed
    open_tasks = [t for t in tasks if t.status == "open"]
    assert len({t.bpmn_id for t in open_tasks}) >= 10  # waiting at many different steps
    assert len({t.group_id for t in open_tasks}) >= 4  # several inboxes have work
    assert any(t.bpmn_id.startswith("eskalasi") for t in open_tasks)  # missed legal deadlines escalated
    done = [t for t in tasks if t.completed_at is not None and t.due_at is not None]
    late = [t for t in done if _aware(t.completed_at) > _aware(t.due_at)]
    on_time = [t for t in done if _aware(t.completed_at) <= _aware(t.due_at)]
    assert len(late) >= 20 and len(on_time) >= 100
    assert any(t.due_at is not None and _aware(t.due_at) < T0 for t in open_tasks)  # overdue right now


def _names(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _names(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _names(v, key)
    elif isinstance(value, str) and key.startswith("nama_") and value.strip():
        yield key, value


def test_every_person_named_in_the_demo_is_marked_fictitious(demo_app: Any) -> None:
    from server.cases.models import Case, Submission
    from server.extensions import db

    app, _loaded = demo_app
    with app.app_context():
        cases = db.session.execute(select(Case)).scalars().all()
        submissions = db.session.execute(select(Submission)).scalars().all()
    assert all(c.summary["nama_korban"].endswith("(fiktif)") for c in cases)
    names = [pair for s in submissions for pair in _names(s.data)]
    assert {"nama_korban", "nama_pelapor"} <= {k for k, _v in names}
    assert [pair for pair in names if not pair[1].endswith("(fiktif)")] == []


def test_running_the_demo_again_adds_nothing_and_the_audit_chain_verifies(demo_app: Any) -> None:
    from server.audit.models import AuditEvent
    from server.audit.service import verify
    from server.cases.models import Case
    from server.cli import init_database
    from server.extensions import db
    from server.tasks.models import Task

    app, _loaded = demo_app

    def counts() -> tuple[int, int, int]:
        with app.app_context():
            return tuple(int(db.session.execute(select(func.count(m.id))).scalar_one())  # type: ignore[return-value]
                         for m in (Case, Task, AuditEvent))

    before = counts()
    clock.set_clock(lambda: T0)
    again = init_database(app, demo=True)
    assert again["cases"] == 0 and again["users"] == []
    assert counts()[:2] == before[:2]
    with app.app_context():
        result = verify(db.session)
    assert result.ok, result.reason
    assert result.checked == counts()[2] and result.checked > 100
