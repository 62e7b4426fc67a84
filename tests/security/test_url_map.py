"""Every route declares its permission, and no route hands a case's data to someone without access to it.

The whole URL map is enumerated, so routes added later by any domain are covered without touching this file.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from flask_admin import BaseView

from server.auth.permissions import ATTR, Permission, has_permission
from tests.security.helpers import ROLE_USERS, VICTIM, Seeded, seed_case, signed_in

_PARAM = re.compile(r"<(?:(\w+)(?:\([^>]*\))?:)?(\w+)>")

#: Who may see the seeded case: the caseworker who started and worked it, and the manager of its unit.
WITH_ACCESS = {"pendamping", "kepala_uptd"}


def _readable(body: bytes) -> bytes:
    """The bytes to search: a zip-based download (XLSX, DOCX) is searched inside its entries."""
    if body[:4] != b"PK\x03\x04":
        return body
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist())


def _is_static(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


def _is_flask_admin(app: Any, endpoint: str) -> bool:
    return isinstance(getattr(app.view_functions[endpoint], "__self__", None), BaseView)


def _declared(app: Any, endpoint: str) -> Permission | None:
    rule = getattr(app.view_functions[endpoint], ATTR, None)
    if rule is None and _is_flask_admin(app, endpoint):
        return Permission.ADMIN
    return rule


def _values(name: str, converter: str | None, seeded: Seeded) -> list[str]:
    """Values to try for a URL parameter: the seeded case's ids where the name says what it is."""
    ints = {"case_id": [seeded.case_id], "task_id": [seeded.open_task_id, seeded.done_task_id],
            "attachment_id": [seeded.attachment_id]}
    if converter == "int":
        return [str(v) for v in ints.get(name, [seeded.case_id, 1])]
    if converter == "path":
        return ["x"]
    return {"key": ["konsultasi"], "name": ["konsultasi"], "reference": [seeded.reference],
            "locale": ["id"]}.get(name, ["konsultasi"])


def _urls(rule: Any, seeded: Seeded) -> list[str]:
    urls = [rule.rule]
    for converter, name in _PARAM.findall(rule.rule):
        expanded = []
        for url in urls:
            for value in _values(name, converter or None, seeded):
                expanded.append(_PARAM.sub(lambda m, n=name, v=value: v if m.group(2) == n else m.group(0), url,
                                           count=1))
        urls = expanded
    return urls


def _clients(app: Any) -> dict[str, tuple[Any, dict[str, str]]]:
    """One browser per role with a web session, plus a bearer token for the API."""
    return {role: signed_in(app, username) if username else (app.test_client(), {})
            for role, username in ROLE_USERS.items()}


def test_every_endpoint_declares_a_permission(app):
    missing = [
        f"{rule.rule} -> {rule.endpoint}" for rule in app.url_map.iter_rules()
        if not _is_static(rule.endpoint) and _declared(app, rule.endpoint) is None
    ]
    assert not missing, "endpoints without @requires(Permission.X):\n" + "\n".join(missing)


def test_no_route_answers_case_data_without_access(app, session):
    seeded = seed_case(app)
    clients = _clients(app)
    secrets_ = (VICTIM, seeded.reference)
    problems: list[str] = []
    requested = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or _is_static(rule.endpoint):
            continue
        permission = _declared(app, rule.endpoint)
        for url in _urls(rule, seeded):
            for role, (client, headers) in clients.items():
                requested += 1
                try:
                    resp = client.get(url, headers=headers if url.startswith("/api/") else {})
                except Exception as exc:  # noqa: BLE001 - TESTING propagates view errors; report them all
                    problems.append(f"GET {url} as {role}: raised {type(exc).__name__}: {exc}")
                    continue
                body = _readable(resp.get_data())
                where = f"GET {url} as {role}: {resp.status_code}"
                if resp.status_code >= 500:
                    problems.append(f"{where} (server error)")
                if permission not in (Permission.PUBLIC, None):
                    allowed = role != "anonymous" and has_permission({role}, permission)
                    if not allowed and resp.status_code not in (401, 403):
                        problems.append(f"{where} (needs {permission}, expected 401/403)")
                if role not in WITH_ACCESS:
                    # Report exports list cases by reference (identifying fields masked) for data officers.
                    for secret in secrets_ if permission != Permission.REPORT_READ else (VICTIM,):
                        if secret.encode() in body:
                            problems.append(f"{where} shows {secret!r} to a user without access to the case")
    assert requested > 100
    assert not problems, f"{len(problems)} problems in {requested} requests:\n" + "\n".join(problems)

    # The data is really there for those who may see it, so the checks above could fail.
    pendamping, headers = clients["pendamping"]
    assert VICTIM in pendamping.get(f"/cases/{seeded.case_id}").get_data(as_text=True)
    assert VICTIM in pendamping.get(f"/api/v1/cases/{seeded.case_id}", headers=headers).get_data(as_text=True)
    assert VICTIM in pendamping.get(f"/attachments/{seeded.attachment_id}").get_data(as_text=True)
    kepala, headers = clients["kepala_uptd"]
    assert VICTIM in kepala.get(f"/api/v1/cases/{seeded.case_id}", headers=headers).get_data(as_text=True)
    assert seeded.reference in kepala.get("/cases").get_data(as_text=True)


def test_anonymous_cannot_change_anything(app, client, session):
    """Every non-GET route that is not public refuses a visitor without a login (or CSRF token)."""
    seeded = seed_case(app)
    problems = []
    for rule in app.url_map.iter_rules():
        if _is_static(rule.endpoint) or _declared(app, rule.endpoint) == Permission.PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            for url in _urls(rule, seeded):
                try:
                    resp = client.open(url, method=method, json={})
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"{method} {url}: raised {type(exc).__name__}: {exc}")
                    continue
                if resp.status_code not in (400, 401, 403, 404, 405):
                    problems.append(f"{method} {url}: {resp.status_code}")
    assert not problems, "\n".join(problems)


def test_undeclared_endpoints_are_refused_and_admin_views_need_admin(database_url, session):
    """The guard fails closed for a route without a rule, and treats any Flask-Admin view as admin-only,
    whatever its endpoint name."""
    from flask_admin import expose

    from tests.conftest import make_app

    fresh = make_app(database_url)

    @fresh.get("/forgot-to-declare")
    def forgot() -> str:
        return "case data"

    class Holidays(BaseView):
        @expose("/")
        def index(self) -> str:
            return "holiday admin"

    fresh.extensions["sinergi_admin"].add_view(Holidays(name="Holidays", endpoint="holidays", url="holidays"))
    client, _ = signed_in(fresh, "pendamping")
    assert client.get("/forgot-to-declare").status_code == 403
    assert client.get("/admin/holidays/").status_code == 403
    admin, _ = signed_in(fresh, "admin")
    assert admin.get("/forgot-to-declare").status_code == 403
    assert admin.get("/admin/holidays/").get_data(as_text=True) == "holiday admin"
