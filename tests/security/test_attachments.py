"""Case attachments: real-type checks by content, size cap, storage by content hash outside the static folder,
access checks, download-only responses, and an audit entry for every upload and download."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.extensions import db
from tests.conftest import csrf_from
from tests.security.helpers import VICTIM, seed_case, signed_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


DOCX = _zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
ODT = _zip([("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<office/>")])
DOCM = _zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>"),
             ("word/vbaProject.bin", b"\x00macro")])

ACCEPTED = [
    ("visum.pdf", PDF, "application/pdf", "visum.pdf"),
    ("luka.jpeg", JPEG, "image/jpeg", "luka.jpeg"),
    ("foto", PNG, "image/png", "foto.png"),
    ("surat.txt", "Surat pengantar — Kota Payakumbuh\n".encode(), "text/plain", "surat.txt"),
    ("laporan.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "laporan.docx"),
    ("laporan.odt", ODT, "application/vnd.oasis.opendocument.text", "laporan.odt"),
    ("halaman.html", PDF, "application/pdf", "halaman.pdf"),  # the name never decides the type
    ("../../etc/passwd.pdf", PDF, "application/pdf", "passwd.pdf"),
]
REFUSED = [
    ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    ("gambar.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("xml.txt", b'<?xml version="1.0"?><x/>'),
    ("program.exe", b"MZ\x90\x00" + b"\x00" * 60),
    ("arsip.zip", _zip([("a.txt", b"hello")])),
    ("makro.docx", DOCM),
    ("biner.txt", b"teks\x00dengan nol"),
    ("latin1.txt", "caf\xe9".encode("latin-1")),
    ("palsu.pdf", b"<html><body>not a pdf</body></html>"),
]


@pytest.fixture
def case(app, session):
    return seed_case(app)


def _upload_api(headers, client, case_id, name, data, kind="lainnya"):
    return client.post(f"/api/v1/cases/{case_id}/attachments", headers=headers,
                       data={"file": (io.BytesIO(data), name), "kind": kind}, content_type="multipart/form-data")


@pytest.mark.parametrize(("name", "data", "content_type", "stored_name"), ACCEPTED,
                         ids=[a[0] for a in ACCEPTED])
def test_accepted_types_are_stored_by_hash_and_served_as_downloads(app, case, attachment_dir, name, data,
                                                                   content_type, stored_name):
    client, headers = signed_in(app, "pendamping")
    resp = _upload_api(headers, client, case.case_id, name, data)
    assert resp.status_code == 201, resp.get_json()
    meta = resp.get_json()
    digest = hashlib.sha256(data).hexdigest()
    assert (meta["content_type"], meta["filename"], meta["sha256"], meta["size"]) == (
        content_type, stored_name, digest, len(data))
    blob = attachment_dir / digest[:2] / digest[2:4] / digest
    assert blob.read_bytes() == data
    assert Path(app.static_folder) not in blob.parents

    down = client.get(meta["download_url"], headers=headers)
    assert down.status_code == 200
    assert down.data == data
    assert down.headers["Content-Disposition"].startswith("attachment;")
    assert down.headers["X-Content-Type-Options"] == "nosniff"
    assert down.headers["Content-Type"].split(";")[0] == content_type
    assert "sandbox" in down.headers["Content-Security-Policy"]
    assert down.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("name", "data"), REFUSED, ids=[r[0] for r in REFUSED])
def test_other_types_are_refused_by_their_content(app, case, attachment_dir, name, data):
    client, headers = signed_in(app, "pendamping")
    resp = _upload_api(headers, client, case.case_id, name, data)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == "file_type" and "PDF" in body["message"]
    with app.app_context():
        from server.attachments.models import Attachment

        assert db.session.execute(select(Attachment).where(Attachment.filename.like("%" + name[:4] + "%"))
                                  ).first() is None
    assert not list((attachment_dir / "tmp").iterdir())  # nothing left behind


def test_size_is_capped_and_empty_files_refused(app, case, attachment_dir, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1000)
    client, headers = signed_in(app, "pendamping")
    resp = _upload_api(headers, client, case.case_id, "besar.pdf", PDF + b"0" * 1000)
    assert resp.status_code == 413
    assert resp.get_json()["code"] == "too_large"
    assert _upload_api(headers, client, case.case_id, "kosong.txt", b"").status_code == 422
    assert not list((attachment_dir / "tmp").iterdir())


def test_only_people_with_access_to_the_case_can_upload_or_download(app, case):
    for username, expected in (("intake", 404), ("profesional", 404), ("admin", 403), ("mitra", 403)):
        client, headers = signed_in(app, username)
        assert _upload_api(headers, client, case.case_id, "a.pdf", PDF).status_code == expected, username
        assert client.get(f"/api/v1/attachments/{case.attachment_id}/content",
                          headers=headers).status_code == expected, username
        assert client.get(f"/attachments/{case.attachment_id}").status_code == expected, username
        assert client.get(f"/api/v1/cases/{case.case_id}/attachments", headers=headers).status_code == expected
    anonymous = app.test_client()
    assert anonymous.get(f"/attachments/{case.attachment_id}").status_code == 401
    denied = _events(app, "attachment.read_denied")
    assert {e.actor_name for e in denied} >= {"intake", "profesional"}
    kepala, headers = signed_in(app, "kepala")  # the unit's manager may
    assert VICTIM in kepala.get(f"/attachments/{case.attachment_id}").get_data(as_text=True)


def _events(app, action):
    with app.app_context():
        return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_upload_form_on_the_case_page_and_audit(app, case, web, client):
    web.login("pendamping")
    client.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    page = client.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "surat.txt" in page
    name = "Visum — Zulaikha é.pdf"
    resp = client.post(f"/cases/{case.case_id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "kind": "visum", "description": "Hasil visum RSUD",
        "file": (io.BytesIO(PDF), name)})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert name in page and "Hasil visum RSUD" in page
    uploaded = _events(app, "attachment.uploaded")[-1]
    assert (uploaded.actor_name, uploaded.case_id, uploaded.ip) == ("pendamping", case.case_id, "10.9.8.7")
    assert uploaded.details["sha256"] == hashlib.sha256(PDF).hexdigest()

    down = client.get(f"/attachments/{uploaded.object_id}")
    assert down.status_code == 200
    assert "filename*=UTF-8''" in down.headers["Content-Disposition"]
    downloaded = _events(app, "attachment.downloaded")[-1]
    assert (downloaded.actor_name, downloaded.object_id, downloaded.ip) == ("pendamping", uploaded.object_id,
                                                                           "10.9.8.7")
    # Without the CSRF token the upload is refused.
    assert client.post(f"/cases/{case.case_id}/attachments", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(PDF), "x.pdf")}).status_code == 400
    # Someone without access to the case sees neither the list nor the form.
    web.client.post("/logout", data={"csrf_token": csrf_from(page)})
    web.login("kepala")
    kepala_page = client.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert name in kepala_page  # the unit's manager sees the files


def test_a_damaged_or_missing_file_is_reported_not_served(app, case, attachment_dir):
    client, headers = signed_in(app, "pendamping")
    meta = _upload_api(headers, client, case.case_id, "visum.pdf", PDF).get_json()
    blob = attachment_dir / meta["sha256"][:2] / meta["sha256"][2:4] / meta["sha256"]
    blob.write_bytes(PDF.replace(b"1.7", b"1.4"))
    resp = client.get(meta["download_url"], headers=headers)
    assert resp.status_code == 500
    assert resp.get_json()["code"] == "attachment_unavailable"
    blob.unlink()
    assert client.get(meta["download_url"], headers=headers).get_json()["code"] == "attachment_unavailable"
    assert len(_events(app, "attachment.unavailable")) == 2


def test_identical_content_is_stored_once(app, case, attachment_dir):
    client, headers = signed_in(app, "pendamping")
    first = _upload_api(headers, client, case.case_id, "a.pdf", PDF).get_json()
    second = _upload_api(headers, client, case.case_id, "b.pdf", PDF).get_json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    blobs = [p for p in attachment_dir.rglob("*") if p.is_file() and p.parent.name != "tmp"]
    assert len([b for b in blobs if b.name == first["sha256"]]) == 1
    listed = client.get(f"/api/v1/cases/{case.case_id}/attachments", headers=headers).get_json()["items"]
    assert [i["filename"] for i in listed][-2:] == ["a.pdf", "b.pdf"]
