"""Accessibility in a real browser: axe-core on the main pages (no serious or critical violation), every field
tied to a label, a form completed with the keyboard alone, and a visible focus indicator at every stop.

The full axe findings (any impact) are written to test-artifacts/axe-report.json.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import PG_URL
from tests.e2e.helpers import AXE, BROWSER, SCREENSHOTS, login, submit

pytestmark = [*BROWSER, pytest.mark.skipif(
    bool(PG_URL), reason="the same pages on either database: checked in the SQLite pass")]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")

FOCUS_SHOWN = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return {id: '', tag: 'BODY', shown: false};
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const r = e.getBoundingClientRect();
  return {id: e.id, tag: e.tagName, name: e.getAttribute('name') || e.textContent.trim().slice(0, 40),
          style: s.outlineStyle + ' ' + s.outlineWidth + ' / ' + s.boxShadow,
          shown: (outline || s.boxShadow !== 'none') && r.width > 0 && r.height > 0};
}"""

UNLABELLED = """() => Array.from(document.querySelectorAll('main input, main select, main textarea'))
  .filter(e => e.type !== 'hidden' && !e.closest('[hidden]'))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-labelledby') && !e.getAttribute('aria-label'))
  .map(e => e.id || e.name)"""


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: "
                           "['violations']})", AXE_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci): the automated check is skipped")
def test_axe_finds_no_serious_problem_on_the_main_pages(live: Any, browser: Any, scene: dict[str, Any]) -> None:
    pages: list[tuple[str | None, str, str]] = [
        (None, "login", "/login"),
        (None, "login-needed", "/inbox"),
        ("pendamping", "inbox", "/inbox"),  # with a late task
        ("pendamping", "cases", "/cases"),
        ("pendamping", "new-case", "/cases/new"),
        ("pendamping", "task-form-errors", f"/tasks/{scene['identification_task']}#submit-empty"),
        ("pendamping", "notifications", "/notifications"),
        ("pendamping", "not-found", "/cases/999999"),
        ("intake", "registration-form", f"/tasks/{scene['registration_task']}"),
        ("kepala", "case-as-manager", f"/cases/{scene['case']}"),
    ]
    if "sla.dashboard" in live.app.view_functions:
        pages += [("kepala", "dashboard", "/sla/"), ("kepala", "late-tasks", "/sla/breaches")]
    # Beyond the caseworkers: the partner portal, the public complaint page, reports and the admin area.
    pages += [("mitra", "partner-referrals", "/partner/"), (None, "public-complaint", "/pengaduan"),
              ("kepala", "reports", "/reports/"), ("admin", "admin-home", "/admin/"),
              ("admin", "admin-workflows", "/admin/workflows/"), ("admin", "admin-users", "/admin/users/"),
              ("admin", "admin-deadlines", "/admin/sla/policies/"),
              ("admin", "admin-translation-coverage", "/admin/translation-coverage/")]
    report: dict[str, Any] = {}
    tabs: dict[str | None, Any] = {}
    for user, name, path in pages:
        if user not in tabs:
            # axe is injected as a script: let it past the Content-Security-Policy in this browser only
            context = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta")
            tabs[user] = context.new_page()
            if user:
                login(tabs[user], live.url, user)
        page = tabs[user]
        page.goto(live.url + path.split("#")[0])
        if path.endswith("#submit-empty"):
            submit(page)
            assert page.locator(".form-error-summary").count() == 1
        report[name] = _axe(page)
    for page in tabs.values():
        page.context.close()
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "axe-report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    blocking = {name: [v for v in found if v["impact"] in BLOCKING] for name, found in report.items()}
    assert {name: found for name, found in blocking.items() if found} == {}


def test_every_field_of_a_long_form_is_tied_to_a_label(live: Any, open_as: Any, scene: dict[str, Any]) -> None:
    page = open_as("intake")
    page.goto(f"{live.url}/tasks/{scene['registration_task']}")
    assert page.locator("main input:not([type=hidden]), main select, main textarea").count() > 30
    assert page.evaluate(UNLABELLED) == []
    page.locator("#f-pelaku [data-add-row]").click()  # a row added by the script is labelled too
    page.check("#f-disabilitas")  # and so is a part that appears on a condition
    assert page.locator("#f-pelaku-1-hubungan").is_visible()
    assert page.evaluate(UNLABELLED) == []
    # Groups of choices are named by their legend.
    assert page.evaluate("""() => Array.from(document.querySelectorAll('main input[type=radio]'))
        .filter(e => !e.closest('fieldset') || !e.closest('fieldset').querySelector('legend'))
        .map(e => e.id)""") == []


def test_a_form_can_be_completed_with_the_keyboard_alone(live: Any, open_as: Any) -> None:
    pendamping = live.api("pendamping")
    case = pendamping.post("/api/v1/cases", {"workflow": "konsultasi"})
    task = case["tasks"][0]
    pendamping.post(f"/api/v1/tasks/{task['id']}/claim", {})
    page = open_as("pendamping")
    page.goto(f"{live.url}/tasks/{task['id']}")
    stops: list[dict[str, Any]] = []

    def tab_to(selector: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            stops.append(page.evaluate(FOCUS_SHOWN))
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}; stops: {[s['id'] or s['name'] for s in stops]}")

    tab_to(".skip-link")
    assert page.locator(".skip-link").bounding_box()["x"] >= 0  # shown when focused
    tab_to("form.jsonform button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # nothing filled in yet
    assert page.evaluate("document.activeElement.classList.contains('form-error-summary')")
    tab_to(".form-error-summary a")
    page.keyboard.press("Enter")  # the first problem: the topic
    assert page.evaluate("document.activeElement.name") == "f.topik"
    stops.append(page.evaluate(FOCUS_SHOWN))
    page.keyboard.press("Space")  # first topic
    page.keyboard.press("ArrowDown")  # no, the second one
    tab_to("#f-ringkasan")
    page.keyboard.type("Ibu menanyakan cara mengurus hak asuh anak.")
    tab_to("#f-saran")
    page.keyboard.type("Dirujuk ke LBH.")
    tab_to("#f-perlu_tindak_lanjut")
    page.keyboard.press("Space")
    tab_to("form.jsonform button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".flash-success").count() == 1, page.inner_text("main")[:800]

    hidden = [s for s in stops if not s["shown"]]
    assert hidden == [], f"focus not visible at: {hidden}"
    data = [s["data"] for s in live.api("kepala").get(f"/api/v1/cases/{case['id']}")["submissions"]][0]
    assert data["topik"] == "pengasuhan"
    assert data["ringkasan"] == "Ibu menanyakan cara mengurus hak asuh anak."
    assert data["perlu_tindak_lanjut"] is True


def test_late_badges_and_error_text_have_enough_contrast(live: Any, open_as: Any, scene: dict[str, Any]) -> None:
    """WCAG AA: 4.5:1 for text; computed from the colours the browser actually paints."""
    page = open_as("pendamping")
    page.goto(live.url + "/inbox?sla=breached")
    assert page.locator("[data-sla=breached]").count(), page.inner_text("main")
    ratios = page.evaluate("""() => {
      const lum = c => { const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => {
          v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
      const bg = e => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
          if (c !== 'rgba(0, 0, 0, 0)') return c; } return 'rgb(255, 255, 255)'; };
      return Array.from(document.querySelectorAll('.badge, .flash, .muted, main a, .mainnav a, .who'))
        .map(e => [e.className || e.tagName, ratio(getComputedStyle(e).color, bg(e))]);
    }""")
    low = [(name, round(r, 2)) for name, r in ratios if r < 4.5]
    assert ratios and low == [], low
