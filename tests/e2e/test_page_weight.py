"""Pages stay light for an old laptop or a phone on a slow link: the first load of every page (empty cache)
transfers less than 500 KB, everything from our own server. The BPMN modeler is the one exception: editing a
diagram in the browser needs the bpmn-js bundle. The figures are written to test-artifacts/page-weights.json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import PG_URL
from tests.e2e.helpers import BROWSER, SCREENSHOTS, login

pytestmark = [*BROWSER, pytest.mark.skipif(
    bool(PG_URL), reason="the same pages on either database: checked in the SQLite pass")]

LIMIT = 500 * 1024
EXEMPT = {"bpmn-modeler"}


def _first_load(browser: Any, state: Any, url: str) -> tuple[int, int, list[str]]:
    """Bytes transferred (headers and bodies as sent), number of requests, and any foreign request."""
    context = browser.new_context(storage_state=state)
    page = context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, (url, response and response.status)
    if page.locator(".bpmn-canvas").count():
        page.wait_for_load_state("networkidle")  # the diagram's XML is fetched after the load event
    total = 0
    for request in finished:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    origin = url.split("/", 3)[:3]
    foreign = [r.url for r in finished if r.url.split("/", 3)[:3] != origin and not r.url.startswith("data:")]
    context.close()
    return total, len(finished), foreign


def test_no_page_weighs_more_than_500_kb_on_first_load(live: Any, browser: Any, scene: dict[str, Any]) -> None:
    pages: dict[str | None, dict[str, str]] = {
        None: {"login": "/login"},
        "pendamping": {"inbox": "/inbox", "cases": "/cases", "new-case": "/cases/new",
                       "case": f"/cases/{scene['case']}", "task-form": f"/tasks/{scene['identification_task']}",
                       "notifications": "/notifications"},
        "intake": {"registration-form": f"/tasks/{scene['registration_task']}"},
        "kepala": {"case-diagram": f"/cases/{scene['case']}/diagram"},
        "admin": {"admin": "/admin/", "admin-forms": "/admin/forms/",
                  "form-editor": "/admin/forms/konsultasi_catatan/", "admin-workflows": "/admin/workflows/",
                  "workflow-version": "/admin/workflows/konsultasi/1/",
                  "bpmn-modeler": "/admin/workflows/konsultasi/modeler"},
    }
    if "sla.dashboard" in live.app.view_functions:
        pages["kepala"].update({"dashboard": "/sla/", "late-tasks": "/sla/breaches", "reports": "/reports/"})
    weights: dict[str, dict[str, int]] = {}
    foreign: dict[str, list[str]] = {}
    for user, named in pages.items():
        state = None
        if user:
            context = browser.new_context()
            login(context.new_page(), live.url, user)
            state = context.storage_state()
            context.close()
        for name, path in named.items():
            if path.split("/")[1] in ("admin", "reports") and not _exists(live, path):
                continue
            size, requests, outside = _first_load(browser, state, live.url + path)
            weights[name] = {"bytes": size, "requests": requests}
            if outside:
                foreign[name] = outside
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "page-weights.json").write_text(json.dumps(weights, indent=2))
    assert foreign == {}, f"requests to other hosts: {foreign}"
    heavy = {name: w["bytes"] for name, w in weights.items() if w["bytes"] > LIMIT and name not in EXEMPT}
    assert heavy == {}, f"pages over {LIMIT // 1024} KB on first load: {heavy}"
    assert len(weights) >= 8


def _exists(live: Any, path: str) -> bool:
    adapter = live.app.url_map.bind("127.0.0.1")
    try:
        adapter.match(path)
    except Exception:  # noqa: BLE001 - a page a colleague has not built yet
        return False
    return True
