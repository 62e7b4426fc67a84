"""Languages in the web UI: Indonesian first, English complete, content translated by admins at run time."""

from __future__ import annotations

import html
import re

from server.extensions import db
from tests.conftest import T0, csrf_from

TEST_FORM = "uji_cakupan_terjemahan"


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _switch(client, locale: str, next_url: str) -> None:
    """Press the language button (for a logged-in user this also stores the preference)."""
    page = client.get(next_url).get_data(as_text=True)
    resp = client.post("/language", data={"locale": locale, "next": next_url, "csrf_token": csrf_from(page)})
    assert resp.status_code == 302


def _logout(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/notifications").get_data(as_text=True))})


def _start_consultation(web) -> str:
    web.login("pendamping")
    resp = web.post_form("/cases/new", "/cases/new", {"workflow": "konsultasi"})
    assert resp.status_code == 302
    return resp.headers["Location"]


def test_indonesian_is_the_default(client):
    page = _text(client.get("/login"))
    assert '<html lang="id">' in page
    assert "<h1>Masuk</h1>" in page and "Nama pengguna" in page and "Kata sandi" in page
    assert "Log in" not in page


def test_the_switch_turns_the_ui_english(client):
    _switch(client, "en", "/login")
    page = _text(client.get("/login"))
    assert '<html lang="en">' in page and "<h1>Log in</h1>" in page and "Username" in page
    assert "<h1>Masuk</h1>" not in page
    _switch(client, "id", "/login")
    assert "<h1>Masuk</h1>" in _text(client.get("/login"))


def test_a_users_preference_wins_over_the_cookie(web, client):
    web.login("data")
    _switch(client, "en", "/cases")
    client.set_cookie("sinergi_locale", "id")
    assert "<h1>Cases</h1>" in _text(client.get("/cases"))  # stored on the user, not only in the cookie


def test_wrong_password_message_is_translated(web, client):
    body = _text(web.login("pendamping", "wrong-password"))
    assert "Nama pengguna atau kata sandi salah." in body
    _switch(client, "en", "/login")
    assert "Wrong username or password." in _text(web.login("pendamping", "wrong-password"))


def test_pages_show_content_and_dates_in_the_users_language(web, client, frozen):
    task_url = _start_consultation(web)
    page = _text(client.get(task_url))
    assert "<h1>Catat konsultasi" in page and "Ringkasan permasalahan" in page and "Hak anak" in page
    assert "23 Nov 2026, 09.00 WIB" in page and "Tenggat" in page
    _switch(client, "en", task_url)
    page = _text(client.get(task_url))
    assert "<h1>Record the consultation" in page
    assert "Summary of the problem" in page and "Children's rights" in page and "Consultation topic" in page
    assert "Keep it short; do not write other people's full names." in page
    assert "Nov 23, 2026, 9:00 AM WIB" in page
    inbox = _text(client.get("/inbox"))
    assert "Record the consultation</a>" in inbox and "<h1>Inbox</h1>" in inbox


def test_validation_errors_are_in_the_users_language_with_the_field_label(web, client):
    task_url = _start_consultation(web)
    token = csrf_from(client.get(task_url).get_data(as_text=True))
    resp = client.post(task_url, data={"csrf_token": token, "f.topik": "lainnya", "f.ringkasan": "abc"})
    body = _text(resp)
    assert resp.status_code == 422
    assert "Ringkasan permasalahan paling sedikit 5 karakter." in body
    assert "Topik lainnya wajib diisi." in body
    _switch(client, "en", task_url)
    resp = client.post(task_url, data={"csrf_token": token, "f.topik": "hak_anak"})
    body = _text(resp)
    assert resp.status_code == 422
    assert "Summary of the problem is required." in body


def test_an_admin_translation_changes_a_label_and_a_task_name_without_restart(web, client):
    task_url = _start_consultation(web)
    before = _text(client.get(task_url))
    assert "Catat konsultasi" in before and "Ringkasan permasalahan" in before
    _logout(client)
    web.login("admin")
    for msgid, text in (("Ringkasan permasalahan", "Ringkasan masalah klien"),
                        ("Catat konsultasi", "Catat hasil konsultasi")):
        resp = web.post_form("/admin/translations/", "/admin/translations/",
                             {"locale": "id", "msgid": msgid, "text": text})
        assert resp.status_code == 302, _text(resp)[:1500]
    listing = _text(client.get("/admin/translations/?q=klien"))
    assert "Ringkasan masalah klien" in listing and "Catat hasil konsultasi" not in listing
    _logout(client)
    web.login("pendamping")
    page = _text(client.get(task_url))
    assert "<h1>Catat hasil konsultasi" in page and "Ringkasan masalah klien" in page
    assert "Ringkasan permasalahan" not in page
    assert "Catat hasil konsultasi</a>" in _text(client.get("/inbox"))
    token = csrf_from(page)
    body = _text(client.post(task_url, data={"csrf_token": token, "f.topik": "hak_anak"}))
    assert "Ringkasan masalah klien wajib diisi." in body  # validation uses the admin's label too


def test_an_english_admin_translation_wins_over_the_catalog(web, client, app):
    from server.locale import service

    web.login("admin")
    resp = web.post_form("/admin/translations/", "/admin/translations/",
                         {"locale": "en", "msgid": "Catat konsultasi", "text": "Write up the consultation"})
    assert resp.status_code == 302
    with app.app_context():
        assert service.translate_content(db.session, "en", "Catat konsultasi") == "Write up the consultation"
        assert service.translate_content(db.session, "en", "Tinjau catatan konsultasi") == "Review the consultation record"
        assert service.translate_content(db.session, "en", "Teks tanpa terjemahan") == "Teks tanpa terjemahan"
    row_id = int(re.search(r'data-id="(\d+)"', _text(client.get("/admin/translations/?locale=en"))).group(1))
    token = csrf_from(client.get("/admin/translations/").get_data(as_text=True))
    resp = client.post("/admin/translations/", data={"csrf_token": token, "id": row_id,
                                                     "text": "Write down the consultation"})
    assert resp.status_code == 302
    with app.app_context():
        assert service.translate_content(db.session, "en", "Catat konsultasi") == "Write down the consultation"
    assert client.post(f"/admin/translations/{row_id}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert service.translate_content(db.session, "en", "Catat konsultasi") == "Record the consultation"


def test_invalid_admin_translations_are_refused(web, client):
    web.login("admin")
    resp = web.post_form("/admin/translations/", "/admin/translations/", {"locale": "fr", "msgid": "Catatan",
                                                                           "text": "Notes"})
    assert resp.status_code == 422
    assert "Pilih salah satu bahasa yang tersedia di situs ini." in _text(resp)
    resp = web.post_form("/admin/translations/", "/admin/translations/", {"locale": "en", "msgid": "Catatan",
                                                                           "text": " "})
    assert resp.status_code == 422 and "Terjemahan wajib diisi." in _text(resp)


def test_translation_admin_is_for_admins_only(web, client):
    web.login("pendamping")
    assert client.get("/admin/translations/").status_code == 403
    assert client.get("/admin/translation-coverage/").status_code == 403


def test_coverage_lists_an_untranslated_label_until_it_is_translated(web, client, app, session):
    from server.forms import service as forms_service
    from server.locale import service

    schema = {"title": "Catatan Konsultasi", "type": "object",
              "properties": {"topik": {"type": "string", "title": "Topik konsultasi"},
                             "baru": {"type": "string", "title": "Isian yang belum diterjemahkan"}}}
    with app.app_context():
        forms_service.create_version(session, key=TEST_FORM, schema=schema, ui_schema={}, now=T0,
                                     activate=False)
        session.commit()
        assert service.coverage(session, "en", ["Topik konsultasi", "Isian yang belum diterjemahkan"]) == [
            "Isian yang belum diterjemahkan"]
        assert service.coverage(session, "id", ["Isian yang belum diterjemahkan"]) == []  # written in Indonesian
        assert service.form_coverage(session, schema=schema, ui_schema={}, locales=["en"]) == {
            "en": ["Isian yang belum diterjemahkan"]}
    web.login("admin")
    url = f"/admin/translation-coverage/?kind=form&key={TEST_FORM}"
    page = _text(client.get(url))
    assert re.findall(r'<tr class="untranslated" data-locale="en">\s*<td lang="id"><label[^>]*>([^<]*)<', page) == [
        "Isian yang belum diterjemahkan"]
    resp = client.post("/admin/translation-coverage/", data={
        "csrf_token": csrf_from(page), "locale": "en", "msgid": "Isian yang belum diterjemahkan",
        "text": "A field not yet translated", "next": url})
    assert resp.status_code == 302
    page = _text(client.get(url))
    assert 'class="untranslated"' not in page and "Semua teks sudah diterjemahkan." in page
    workflows = _text(client.get("/admin/translation-coverage/?kind=workflow&key=konsultasi"))
    assert "Layanan Konsultasi" in workflows and 'class="untranslated"' not in workflows


def test_notifications_are_shown_in_each_readers_language(web, client):
    """A notification is stored as its message and parameters: the caseworker who reads in English and the
    one who reads in Indonesian each see it in their own language, with the task name translated for them."""
    task_url = _start_consultation(web)  # pendamping starts a case; the new task notifies its group
    page = _text(client.get("/notifications"))
    assert "Tugas baru: Catat konsultasi" in page
    _switch(client, "en", "/notifications")
    page = _text(client.get("/notifications"))
    assert "New task: " in page and "Tugas baru" not in page
    assert task_url.rsplit("/", 1)[1] in page  # the link to the same task
