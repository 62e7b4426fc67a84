"""The modeler in a real browser: change a task name, save, activate, start a case that shows the new name."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
VENDOR = Path(__file__).resolve().parents[2] / "server/static/vendor/bpmn-js/bpmn-modeler.production.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"),
    pytest.mark.skipif(not VENDOR.exists(), reason="bpmn-js is not vendored: run `npm ci && sh scripts/vendor.sh`"),
]


@pytest.fixture(scope="module")
def live_server(committed_app: Any) -> Any:
    """A real server on 127.0.0.1 (free port, in a thread) on a fresh database."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, committed_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        try:
            yield chromium
        finally:
            chromium.close()


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "sinergi-demo")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def test_rename_a_task_in_the_modeler_then_a_new_case_shows_the_new_name(live_server: str, browser: Any) -> None:
    errors: list[str] = []
    admin = browser.new_context().new_page()
    _login(admin, live_server, "admin")
    admin.on("pageerror", lambda exc: errors.append(str(exc)))
    admin.on("response", lambda resp: errors.append(f"{resp.status} {resp.url}")
             if resp.status >= 400 and not resp.url.endswith("/favicon.ico") else None)
    admin.goto(live_server + "/admin/workflows/konsultasi/modeler")
    admin.wait_for_selector("#modeler-canvas[data-ready=true]")

    admin.click('[data-element-id="catat_konsultasi"]')
    admin.fill("#prop-name", "Catat konsultasi awal")
    admin.fill("#modeler-comment", "renamed in the browser")
    admin.click("#modeler-save")
    admin.wait_for_selector("#modeler-version-link")
    assert "2" in admin.inner_text("#modeler-status")

    admin.click("#modeler-version-link")
    admin.wait_for_load_state()
    assert admin.locator(".problems").count() == 0  # the validation report is clean
    admin.click("form[action$='/activate'] button")
    admin.wait_for_load_state()
    assert "/admin/workflows/konsultasi/" in admin.url
    assert errors == [], errors

    worker = browser.new_context().new_page()
    _login(worker, live_server, "pendamping")
    worker.goto(live_server + "/cases/new")
    worker.check("input[value=konsultasi]")
    worker.click("form button.primary")
    worker.wait_for_load_state()
    assert worker.inner_text("h1").startswith("Catat konsultasi awal")
