"""The case page shows submitted dates and date-times the way the reader's language writes them, in the
office's zone, instead of the stored ISO text."""

from __future__ import annotations

import re

from tests.referrals import helpers as h


def _submission(page: str, title: str) -> str:
    """The read-only answer shown under ``title`` in the case page's submissions."""
    match = re.search(r"<dt>" + re.escape(title) + r"</dt><dd>([^<]*)</dd>", page)
    assert match, f"{title} not on the page"
    return match.group(1)


def test_dates_in_submissions_follow_the_locale(app, session, web):
    case = h.start(app)
    # batas_respon is a date; tgl_kirim a date-time as a datetime-local input sends it (the office's wall clock).
    h.refer(app, case.case_id, tgl_kirim="2026-11-23T14:30", batas_respon="2026-11-30")
    web.login("pendamping")
    page = web.client.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert _submission(page, "Batas waktu jawaban") == "30 Nov 2026"
    assert _submission(page, "Tanggal &amp; jam rujukan dikirim") == "23 Nov 2026, 14.30 WIB"
    assert "2026-11-30" not in page and "2026-11-23 14:30" not in page

    h.english(web)
    page = web.client.get(f"/cases/{case.case_id}").get_data(as_text=True)
    date_title = re.search(r"<dt>([^<]*)</dt><dd>Nov 30, 2026</dd>", page)
    assert date_title, "the date is not shown the English way"
    assert "Nov 23, 2026, 2:30 PM WIB" in page
    assert "2026-11-30" not in page


def test_a_date_time_with_an_offset_is_shown_in_the_office_zone(app, session, web):
    case = h.start(app)
    h.refer(app, case.case_id, tgl_kirim="2026-11-23T01:30:00Z")
    web.login("pendamping")
    page = web.client.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert _submission(page, "Tanggal &amp; jam rujukan dikirim") == "23 Nov 2026, 08.30 WIB"
