"""Shared pieces of the browser end-to-end tests: marks, logins, screenshots, layout checks, API shortcuts."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "sinergi-demo"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: Debian's Chromium, headless, with nothing that reaches out to the network on its own.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Which demo user works each BPMN lane (for moving a case along through the API).
LANE_USERS = {"penerima_pengaduan": "intake", "pendamping": "pendamping", "kepala_uptd": "kepala",
              "profesional": "profesional", "pengelola_data": "data", "mitra_eksternal": "mitra"}


def why_no_browser() -> str | None:
    if not CHROMIUM.exists():
        return ("Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium): "
                "browser end-to-end tests skipped")
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[test]'): browser end-to-end tests skipped"
    return None


#: ``pytestmark = BROWSER`` in every module of this folder.
BROWSER = [pytest.mark.browser, pytest.mark.skipif(why_no_browser() is not None, reason=why_no_browser() or "")]


# -- the browser -------------------------------------------------------------------------------------


def login(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person does (type, then Enter)."""
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert "/login" not in page.url, f"login as {username} failed: {page.inner_text('main')[:300]}"


def submit(page: Any, selector: str = "form.jsonform button.primary") -> None:
    """Click a submit button and wait for the next page."""
    with page.expect_navigation():
        page.click(selector)


def flash(page: Any, category: str = "success") -> str:
    return page.inner_text(f".flash-{category}") if page.locator(f".flash-{category}").count() else ""


WIDEST = """() => {
  const w = window.innerWidth;
  return Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap, [hidden]'))
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className)
         .trim().replace(/\\s+/g, '.') : '') + ' (' + Math.round(e.getBoundingClientRect().right) + 'px)');
}"""


def shoot(page: Any, name: str) -> None:
    """Save the page as a desktop and a 390-px phone screenshot, and check nothing overflows the phone width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size or DESKTOP
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    scroll_width, inner_width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
    widest = page.evaluate(WIDEST) if scroll_width > inner_width else []
    page.set_viewport_size(before)
    assert scroll_width <= inner_width, (
        f"{name}: the page is {scroll_width}px wide on a {inner_width}px phone; too wide: {widest}")


def field_value(page: Any, selector: str) -> str:
    return str(page.eval_on_selector(selector, "e => e.value"))


def task_row(page: Any, reference: str, name_part: str) -> Any:
    """The inbox row of ``reference``'s task whose name contains ``name_part``."""
    return page.locator("tr.task-row", has_text=reference).filter(has_text=re.compile(re.escape(name_part), re.I))


# -- the API (same app, in-process: setting up a case is not what these tests are about) -------------


class Api:
    """A JSON API client for one demo user, through the live app's test client."""

    def __init__(self, app: Any, username: str):
        self.client = app.test_client()
        self.username = username
        resp = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        assert resp.status_code == 201, resp.get_json()
        self.headers = {"Authorization": f"Bearer {resp.get_json()['token']}"}

    def get(self, url: str) -> Any:
        resp = self.client.get(url, headers=self.headers)
        assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:500])
        return resp.get_json()

    def post(self, url: str, body: Any, expect: int | tuple[int, ...] = (200, 201)) -> Any:
        resp = self.client.post(url, headers=self.headers, json=body)
        codes = (expect,) if isinstance(expect, int) else expect
        assert resp.status_code in codes, (url, resp.status_code, resp.get_data(as_text=True)[:800])
        return resp.get_json()


def open_tasks(api: Any, case_id: int) -> list[dict[str, Any]]:
    return [t for t in api.get(f"/api/v1/cases/{case_id}")["tasks"] if t["status"] == "open"]


def drive_until(app: Any, case_id: int, target: str, *, max_steps: int = 25) -> dict[str, Any]:
    """Complete the case's open tasks through the API (each with its form's first valid example), in the
    order the case offers them, until the task with BPMN id ``target`` is open; return that task."""
    apis: dict[str, Api] = {}

    def api_for(username: str) -> Api:
        if username not in apis:
            apis[username] = Api(app, username)
        return apis[username]

    reader = api_for("kepala")
    seen: list[str] = []
    for _ in range(max_steps):
        tasks = open_tasks(reader, case_id)
        for task in tasks:
            if task["bpmn_id"] == target:
                return task
        assert tasks, f"case {case_id} has no open task; completed {seen} without reaching {target}"
        task = tasks[0]
        api = api_for(LANE_USERS.get(task["lane"], "pendamping"))
        form = api.get(f"/api/v1/tasks/{task['id']}")["form"] or {"schema": {}}
        examples = form["schema"].get("examples") or [{}]
        for example in examples:
            resp = api.client.post(f"/api/v1/tasks/{task['id']}/complete", headers=api.headers,
                                   json={"data": example})
            if resp.status_code == 200:
                break
        else:
            raise AssertionError(f"no example of {task['form']} completes {task['bpmn_id']}: "
                                 f"{json.dumps(resp.get_json())[:800]}")
        seen.append(task["bpmn_id"])
    raise AssertionError(f"{target} not reached after {seen}")
