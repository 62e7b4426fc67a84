"""Before activating a workflow version the admin sees how many of its user-facing strings (its own and those
of the forms its tasks use) have no English translation, with links to the translation coverage page."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from sqlalchemy import select

from tests.admin import bpmn
from tests.conftest import T0


def _missing_en(html: str) -> int:
    match = re.search(r'data-locale="en" data-missing="(\d+)"', html)
    return int(match.group(1)) if match else 0


def _form(app: Any, key: str, tag: str) -> None:
    """A form of our own whose title and one field label exist nowhere else (so no catalog translates them)."""
    from server.db import unit_of_work
    from server.forms import service as forms_service

    schema = {"type": "object", "title": f"Formulir uji {tag}",
              "properties": {"catatan": {"type": "string", "title": f"Catatan uji {tag}"}}}
    with app.app_context(), unit_of_work() as session:
        forms_service.create_version(session, key=key, schema=schema, ui_schema={}, now=T0, activate=True)


def _upload(web: Any, key: str, names: list[tuple[str, str]], form: str) -> str:
    """Version 1 (active, it is the first) is a plain file; version 2, the draft on show, has the new strings."""
    first = bpmn.linear([("isi", "Isi")], process_id=key)
    resp = web.post_form("/admin/workflows/", "/admin/workflows/upload", {"file": (io.BytesIO(first), "a.bpmn")})
    assert resp.status_code == 302
    xml = bpmn.linear(names, process_id=key, forms={bpmn_id: f"{form}.schema.json" for bpmn_id, _n in names})
    resp = web.post_form(f"/admin/workflows/{key}/", f"/admin/workflows/{key}/upload",
                         {"file": (io.BytesIO(xml), "b.bpmn")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert resp.headers["Location"].endswith(f"/admin/workflows/{key}/2/")
    return f"/admin/workflows/{key}/2/"


def test_version_page_counts_untranslated_strings_and_links_to_the_coverage_page(app: Any, web: Any,
                                                                                 session: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    key, form = f"terjemah_{tag}", f"formulir_{tag}"
    _form(app, form, tag)
    web.login("admin")
    names = [(f"isi_{i}", f"Periksa berkas tambahan {tag}-{i}") for i in range(3)]
    page_url = _upload(web, key, names, form)
    html = web.client.get(page_url).get_data(as_text=True)
    before = _missing_en(html)
    assert before >= 5  # the three new task names, the form's title and its field label
    assert f"{before} teks versi ini dan formulir yang dipakainya belum punya terjemahan English" in html
    assert f'/admin/translation-coverage/?kind=workflow&amp;key={key}&amp;number=2' in html
    assert f'/admin/translation-coverage/?kind=form&amp;key={form}&amp;number=1' in html
    assert 'href="/admin/translation-coverage/"' in html
    assert html.index('id="translation-gaps"') < html.index(f"/admin/workflows/{key}/2/activate")

    # Translating one task name and the form title on the coverage page lowers the count by exactly two.
    for msgid, text, kind, report in ((names[0][1], f"Check the extra files {tag}", "workflow", key),
                                      (f"Formulir uji {tag}", f"Test form {tag}", "form", form)):
        saved = web.post_form(f"/admin/translation-coverage/?kind={kind}&key={report}",
                              "/admin/translation-coverage/",
                              {"locale": "en", "msgid": msgid, "text": text, "next": page_url})
        assert saved.status_code == 302
    assert _missing_en(web.client.get(page_url).get_data(as_text=True)) == before - 2


def test_a_version_whose_strings_are_all_translated_says_so(app: Any, web: Any, session: Any) -> None:
    from server.auth.models import User
    from server.db import unit_of_work
    from server.forms.models import FormDefinition
    from server.locale import service
    from server.locale.admin import coverage_reports

    tag = uuid.uuid4().hex[:6]
    key, form = f"terjemah_{tag}", f"formulir_{tag}"
    _form(app, form, tag)
    web.login("admin")
    page_url = _upload(web, key, [("isi", f"Isi {tag}")], form)
    assert _missing_en(web.client.get(page_url).get_data(as_text=True)) > 0
    with app.app_context(), unit_of_work() as db_session:
        admin = db_session.execute(select(User).where(User.username == "admin")).scalar_one()
        assert db_session.execute(select(FormDefinition).where(FormDefinition.key == form)).scalar_one()
        reports = coverage_reports(db_session, kind="workflow", key=key) + coverage_reports(
            db_session, kind="form", key=form)
        for report in reports:
            for msgid in report["missing"].get("en", []):
                service.set_translation(db_session, locale="en", msgid=msgid, text=f"EN {msgid}", user=admin, now=T0,
                                        locales=["id", "en"])
    html = web.client.get(page_url).get_data(as_text=True)
    assert _missing_en(html) == 0
    assert 'data-missing="0"' in html
    assert "kind=workflow&amp;key=" not in html
