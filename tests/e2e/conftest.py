"""Browser end-to-end fixtures: one real server on 127.0.0.1 (werkzeug, in a thread of this process) over a
fresh database (SQLite file, or a new PostgreSQL database when SINERGI_TEST_DATABASE_URL is set) with the
shipped content and demo users; one headless Debian Chromium driven by Playwright; an injected clock that
the tests move forward (the server thread reads the same ``server.clock``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from server import clock
from tests.conftest import T0, _fresh_database, make_app, prepare
from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Api, drive_until, login, why_no_browser


@dataclass
class Clock:
    """The server's time: starts Monday 23 November 2026, 09:00 WIB, and only moves forward."""

    now: datetime = T0

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Live:
    url: str
    app: Any
    clock: Clock = field(default_factory=Clock)

    def install_clock(self) -> None:
        """Make ``server.clock`` (read by the server thread and the services) return our time."""
        clock.set_clock(lambda: self.clock.now)

    def tick(self) -> Any:
        """One pass of the worker (timers, SLA states, mail) at the injected time."""
        from server import worker

        self.install_clock()
        return worker.tick(self.app, self.clock.now)

    def api(self, username: str) -> Api:
        # (module-scoped fixtures run before the per-test clock fixture: install it here too)
        self.install_clock()
        return Api(self.app, username)


@pytest.fixture(scope="package")  # closed before other packages start their own browser
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    from werkzeug.serving import make_server

    databases = _fresh_database(tmp_path_factory, "e2e")
    url = next(databases)
    app = make_app(url, PUBLIC_INTAKE_ENABLED=True)  # the public complaint page is checked too
    prepare(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        from server.extensions import db

        with app.app_context():
            db.engine.dispose()
        databases.close()


@pytest.fixture(scope="package")  # closed before other packages start their own browser
def scene(live: Live) -> dict[str, Any]:
    """Cases in the states the pages are checked in (accessibility, page weight): a registration waiting for
    the intake officer, an identification waiting for the caseworkers, and a consultation gone late."""
    intake = live.api("intake")
    registration = intake.post("/api/v1/cases", {"workflow": "ppa_kasus_kekerasan"})
    identification = intake.post("/api/v1/cases", {"workflow": "ppa_kasus_kekerasan"})
    ident_task = drive_until(live.app, identification["id"], "identifikasi")
    late = live.api("pendamping").post("/api/v1/cases", {"workflow": "konsultasi"})
    live.clock.advance(days=2)  # the consultation had one working day
    live.tick()
    return {"registration_task": registration["tasks"][0]["id"], "case": identification["id"],
            "identification_task": ident_task["id"], "late_case": late["reference"]}


@pytest.fixture(autouse=True)
def _server_clock(live: Live) -> None:
    # tests/conftest.py puts the wall clock back after every test; the live server keeps ours.
    live.install_clock()


@pytest.fixture(scope="package")  # closed before other packages start their own browser
def browser(live: Live) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_as(browser: Any, live: Live) -> Iterator[Any]:
    """``open_as("pendamping")`` → a logged-in page in a fresh browser context (``None``: not logged in).

    Every page must stay free of JavaScript errors and failed requests (a CSP refusal shows up here too).
    """
    contexts: list[Any] = []
    problems: list[str] = []

    def make(username: str | None = None, *, viewport: dict[str, int] = DESKTOP) -> Any:
        context = browser.new_context(viewport=viewport, locale="id-ID", timezone_id="Asia/Jakarta")
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
        # (a page answered 422 or 404 on purpose is logged as "Failed to load resource": not a problem;
        # a missing stylesheet or script is, and so is any 5xx)
        page.on("console", lambda msg: problems.append(f"{page.url}: console {msg.type}: {msg.text}")
                if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
        page.on("response", lambda resp: problems.append(f"{resp.status} {resp.url}")
                if resp.status >= 500 or (resp.status >= 400 and resp.request.resource_type != "document")
                else None)
        if username:
            login(page, live.url, username)
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == [], problems
