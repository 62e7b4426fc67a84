"""forms.js and forms.css in a real browser: conditions, rows, focus, phone width."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from server.forms.parse import parse_submission
from server.forms.render import render_form
from server.forms.schema import validate

from .helpers import COMPLAINT, COMPLAINT_UI

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
STATIC = Path(__file__).resolve().parents[3] / "server" / "static"


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    yield page
    page.close()


def load(page, data=None, errors=(), schema=COMPLAINT, ui=COMPLAINT_UI):
    html = render_form(schema, ui, data, list(errors))
    page.set_content(f'<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width">'
                     f'</head><body><main><form id="form" novalidate>{html}<button type="submit">Send</button>'
                     f"</form></main></body></html>")
    page.add_style_tag(path=str(STATIC / "css" / "forms.css"))
    page.add_script_tag(path=str(STATIC / "js" / "forms.js"))


def submitted(page) -> MultiDict:
    pairs = page.evaluate("() => Array.from(new FormData(document.getElementById('form')).entries())")
    return MultiDict([tuple(pair) for pair in pairs])


def test_conditional_part_follows_the_controlling_field(page):
    load(page)
    other = page.locator("#f-other_type")
    assert not other.is_visible() and other.is_disabled()
    page.check("#f-incident_type-2")  # "Other"
    assert other.is_visible() and other.is_enabled()
    other.fill("Economic")
    assert submitted(page).get("f.other_type") == "Economic"
    page.check("#f-incident_type-0")
    assert not other.is_visible()
    assert "f.other_type" not in submitted(page)


def test_chained_conditions_hide_and_disable_everything_below(page):
    schema = {"type": "object", "properties": {"married": {"type": "boolean"}},
              "if": {"properties": {"married": {"const": True}}, "required": ["married"]},
              "then": {"properties": {"has_kids": {"type": "boolean"}},
                       "if": {"properties": {"has_kids": {"const": True}}, "required": ["has_kids"]},
                       "then": {"properties": {"kids": {"type": "integer"}}}}}
    load(page, schema=schema, ui={})
    assert not page.locator("#f-has_kids").is_visible() and not page.locator("#f-kids").is_visible()
    page.check("#f-married")
    page.check("#f-has_kids")
    page.fill("#f-kids", "2")
    assert parse_submission(schema, {}, submitted(page)) == {"married": True, "has_kids": True, "kids": 2}
    page.uncheck("#f-married")
    assert page.locator("#f-kids").is_disabled() and page.locator("#f-has_kids").is_disabled()
    assert sorted(submitted(page).keys()) == ["f.married"]
    page.check("#f-married")
    assert page.locator("#f-kids").is_visible() and page.input_value("#f-kids") == "2"


def test_add_and_remove_rows_renumbers_and_moves_focus(page):
    load(page, {"perpetrators": [{"name": "A"}]})
    add = page.get_by_role("button", name="Add Perpetrator")
    assert add.is_visible()
    add.click()
    assert page.evaluate("document.activeElement.name") == "f.perpetrators.2.name"
    page.keyboard.type("C")
    page.fill("[name='f.perpetrators.1.name']", "B")
    page.get_by_role("button", name="Remove Perpetrator 1", exact=True).click()
    names = page.eval_on_selector_all("[data-rows] > [data-row] input[name$='.name']", "els => els.map(e => e.name)")
    assert names == ["f.perpetrators.0.name", "f.perpetrators.1.name"]
    assert page.input_value("#f-perpetrators-0-name") == "B"
    assert page.evaluate("document.activeElement.id") == "f-perpetrators-0-name"
    assert page.locator("#f-perpetrators-1 > legend").inner_text() == "Perpetrator 2"
    label_for = page.get_attribute("#f-perpetrators-1 label >> nth=0", "for")
    assert label_for == "f-perpetrators-1-name"


def test_nested_row_in_a_new_row(page):
    load(page, {"perpetrators": [{"name": "A"}]})
    page.get_by_role("button", name="Add Perpetrator").click()
    new_row = page.locator("#f-perpetrators-2")
    new_row.get_by_role("button", name="Add Phone").click()
    assert page.evaluate("document.activeElement.name") == "f.perpetrators.2.phones.1"
    page.keyboard.type("0812")
    page.fill("#f-perpetrators-2-name", "C")
    data = parse_submission(COMPLAINT, COMPLAINT_UI, submitted(page))
    assert data["perpetrators"] == [{"name": "A", "known": False},
                                    {"name": "C", "known": False, "phones": ["0812"]}]


def test_browser_round_trip_validates(page):
    load(page)
    page.fill("#f-reporter", "Sri")
    page.check("#f-incident_type-1")
    page.fill("#f-incident_date", "2024-03-01")
    page.check("#f-consent")
    page.check("#f-needs-1")
    data = parse_submission(COMPLAINT, COMPLAINT_UI, submitted(page))
    assert data == {"reporter": "Sri", "incident_type": "sexual", "incident_date": "2024-03-01", "consent": True,
                    "needs": ["legal"]}
    assert validate(COMPLAINT, data) == []


def test_error_summary_gets_focus_and_page_fits_a_phone(page):
    load(page, {"reporter": "x" * 300}, validate(COMPLAINT, {"age": "x"}))
    assert page.evaluate("document.activeElement.getAttribute('data-error-summary')") == ""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
