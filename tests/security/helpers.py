"""Shared set-up for the security tests: one case with a distinctive victim name, seen by some, not others."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tests.conftest import T0

#: A name that appears nowhere else, so finding it in a response means case data leaked.
VICTIM = "Zulaikha Qorinawati"

#: role (group) -> demo user holding it; None is the anonymous visitor.
ROLE_USERS: dict[str, str | None] = {
    "anonymous": None, "admin": "admin", "penerima_pengaduan": "intake", "pendamping": "pendamping",
    "kepala_uptd": "kepala", "profesional": "profesional", "pengelola_data": "data", "mitra": "mitra",
}


@dataclass
class Seeded:
    case_id: int
    reference: str
    open_task_id: int
    done_task_id: int
    attachment_id: int


def user(session: Any, username: str) -> Any:
    from server.auth.models import User

    return session.execute(select(User).where(User.username == username)).scalar_one()


def seed_case(app: Any, *, by: str = "pendamping", now: Any = T0) -> Seeded:
    """Start a konsultasi case as ``by`` with the victim's name in its data, a submission and a file."""
    from server.attachments import service as attachments
    from server.cases import service as cases
    from server.db import unit_of_work
    from server.tasks import service as tasks

    with app.app_context(), unit_of_work() as session:
        worker = user(session, by)
        started = cases.start_case(session, workflow_key="konsultasi", user=worker, now=now,
                                   data={"nama_korban": VICTIM})
        first = started.new_tasks[0]
        done = tasks.complete(session, task_id=first.id, user=worker, now=now, data={
            "topik": "hak_anak", "ringkasan": f"Ibu dari {VICTIM} bertanya tentang hak asuh."})
        from pathlib import Path

        attachment = attachments.upload(
            session, case_id=started.case.id, user=worker, stream=io.BytesIO(f"Surat untuk {VICTIM}\n".encode()),
            filename="surat.txt", kind="surat", description="", now=now,
            root=Path(app.config["ATTACHMENT_DIR"]), max_bytes=1024 * 1024)
        return Seeded(started.case.id, started.case.reference, done.next_tasks[0].id, first.id, attachment.id)


def signed_in(app: Any, username: str, *, now: Any = None) -> tuple[Any, dict[str, str]]:
    """A test client with a web session and a bearer token for ``username``, without the login form
    (argon2 on every login would dominate these tests; the form itself is tested in test_accounts)."""
    from server import clock
    from server.auth import service as auth_service
    from server.db import unit_of_work

    now = now or clock.utcnow()
    with app.app_context(), unit_of_work() as session:
        account = user(session, username)
        token, _row = auth_service.issue_token(session, user=account, now=now)
        user_id, epoch = account.id, account.session_epoch
    client = app.test_client()
    with client.session_transaction() as web_session:
        web_session.update({"_user_id": str(user_id), "_fresh": True, "login_at": now.isoformat(),
                            "seen_at": now.isoformat(), "epoch": epoch})
    return client, {"Authorization": f"Bearer {token}"}
