"""A partner user reaches nothing but their own agency's referrals, by any route.

The whole URL map is enumerated (routes added later by any domain are covered too) and every GET route
is requested with the partner's web session and, for the API, their bearer token, with the ids of a
case the agency has no referral for, of another agency's referral, and of the partner's own referral.
"""

from __future__ import annotations

import re
from typing import Any

from flask_admin import BaseView

from server.auth.permissions import ATTR, Permission
from tests.conftest import Web
from tests.referrals import helpers as h

_PARAM = re.compile(r"<(?:(\w+)(?:\([^>]*\))?:)?(\w+)>")
OWN_VICTIM = "Nuraini Pratiwiningsih"
#: What the consent form says must stay inside the office (never part of a referral).
CONFIDENTIAL = "Jangan beri tahu keluarga suami"
#: Endpoints a partner may open (their own referrals, their notifications and account pages, public pages).
PARTNER_OK = {Permission.PUBLIC, Permission.AUTHENTICATED, Permission.PARTNER}


def _permission(app: Any, endpoint: str) -> Any:
    view = app.view_functions[endpoint]
    rule = getattr(view, ATTR, None)
    if rule is None and isinstance(getattr(view, "__self__", None), BaseView):
        return Permission.ADMIN
    return rule


def _urls(rule: Any, values: dict[str, list[str]]) -> list[str]:
    urls = [rule.rule]
    for converter, name in _PARAM.findall(rule.rule):
        options = values.get(name) or (values["_int"] if converter == "int" else values["_str"])
        if converter == "path":
            options = ["x"]
        urls = [_PARAM.sub(lambda m, n=name, v=v: v if m.group(2) == n else m.group(0), url, count=1)
                for url in urls for v in options]
    return urls


def test_a_partner_reaches_nothing_but_their_own_referrals(app, session, frozen):
    from server.db import unit_of_work
    from server.tasks.models import Task

    # The police's own referral (identity shared with consent), and a case referred only to the hospital.
    own_case = h.start(app, victim=OWN_VICTIM)
    own = h.refer(app, own_case.case_id)
    other_case = h.start(app, consent=("rsud_puskesmas",))
    other = h.refer(app, other_case.case_id, to="rsud", layanan_diminta="kesehatan")
    plain = h.start(app, consent=None)
    with app.app_context(), unit_of_work() as s:
        task_ids = [str(t.id) for t in s.query(Task).filter(Task.case_id.in_([other_case.case_id, plain.case_id]))]
    values = {
        "case_id": [str(other_case.case_id), str(plain.case_id), str(own_case.case_id)],
        "referral_id": [str(other.id), str(own.id)],
        "task_id": task_ids,
        "_int": [str(other_case.case_id), "1"],
        "_str": [h.KEY], "key": [h.KEY, "rujukan"], "name": ["jawaban_rujukan", "rujukan"],
        "reference": [other_case.reference], "locale": ["id"],
    }
    never = (h.VICTIM, h.STORY, CONFIDENTIAL, other_case.reference, plain.reference, own_case.reference)

    client = app.test_client()
    assert Web(client).login("mitra").status_code == 302
    token = client.post("/api/v1/auth/token", json={"username": "mitra", "password": "sinergi-demo"}).get_json()
    bearer = {"Authorization": f"Bearer {token['token']}"}

    problems: list[str] = []
    opened: set[str] = set()
    requested = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        permission = _permission(app, rule.endpoint)
        for url in _urls(rule, values):
            for how, headers in (("session", {}), ("token", bearer)):
                if how == "token" and not url.startswith("/api/"):
                    continue
                requested += 1
                try:
                    resp = client.get(url, headers=headers)
                except Exception as exc:  # noqa: BLE001 - report every route, not the first failure
                    problems.append(f"GET {url} ({how}): raised {type(exc).__name__}: {exc}")
                    continue
                body = resp.get_data(as_text=True)
                where = f"GET {url} ({how}) -> {resp.status_code}"
                for secret in never:
                    if secret in body:
                        problems.append(f"{where} shows {secret!r}")
                own_page = url in (f"/partner/referrals/{own.id}", f"/api/v1/partner/referrals/{own.id}")
                if OWN_VICTIM in body and not own_page:
                    problems.append(f"{where} shows the own referral's victim outside its referral page")
                if resp.status_code >= 500:
                    problems.append(f"{where} (server error)")
                elif permission not in PARTNER_OK and resp.status_code not in (401, 403, 404, 405):
                    problems.append(f"{where}: a staff route answered a partner")
                elif resp.status_code == 200:
                    opened.add(rule.endpoint)
                if url.endswith(f"/referrals/{other.id}") and resp.status_code not in (401, 403, 404):
                    problems.append(f"{where}: another agency's referral")
    assert requested > 100
    assert not problems, f"{len(problems)} problems in {requested} requests:\n" + "\n".join(problems)
    # The checks above could fail: the partner's own referral page does show what it shares.
    assert {"partner.index", "partner.show", "partner_api.api_show"} <= opened
    page = client.get(f"/partner/referrals/{own.id}").get_data(as_text=True)
    assert OWN_VICTIM in page and h.SUMMARY in page
    api_own = client.get(f"/api/v1/partner/referrals/{own.id}", headers=bearer).get_json()
    assert api_own["shared"]["identity"]["nama_korban"] == OWN_VICTIM and "case_id" not in api_own
    # ... and the referral pages of staff are staff-only even for the partner's own referral.
    assert client.get(f"/referrals/{own.id}").status_code == 403
    assert client.get(f"/api/v1/referrals/{own.id}", headers=bearer).status_code == 403


def test_a_partner_cannot_change_anything_outside_their_referrals(app, session, frozen):
    """Every non-GET route outside the partner portal refuses the partner (or needs a CSRF token)."""
    other_case = h.start(app, consent=("rsud_puskesmas",))
    other = h.refer(app, other_case.case_id, to="rsud", layanan_diminta="kesehatan")
    client = app.test_client()
    Web(client).login("mitra")
    token = client.post("/api/v1/auth/token", json={"username": "mitra", "password": "sinergi-demo"}).get_json()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    values = {"case_id": [str(other_case.case_id)], "referral_id": [str(other.id)], "_int": [str(other_case.case_id)],
              "_str": [h.KEY], "key": [h.KEY], "name": ["jawaban_rujukan"]}
    problems = []
    for rule in app.url_map.iter_rules():
        # Public pages and the user's own account actions (log out, revoke tokens) touch no case data.
        if rule.endpoint == "static" or _permission(app, rule.endpoint) in (Permission.PUBLIC,
                                                                           Permission.AUTHENTICATED):
            continue
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            for url in _urls(rule, values):
                headers = bearer if url.startswith("/api/") else {}
                resp = client.open(url, method=method, json={"status": "diterima", "case_id": other_case.case_id},
                                   headers=headers)
                allowed = (400, 401, 403, 404, 405, 422) if _permission(app, rule.endpoint) in PARTNER_OK \
                    else (400, 401, 403, 404, 405)
                if resp.status_code not in allowed:
                    problems.append(f"{method} {url}: {resp.status_code}")
    assert not problems, "\n".join(problems)
    assert h.referral(app, other.id).status == "sent"
