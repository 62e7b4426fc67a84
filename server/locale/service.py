"""Translating content strings: an admin's translation, else the compiled catalog, else the text itself.

Content (form titles, option labels, help texts, task and lane names) is written in Indonesian in the
definitions; the catalogs carry the shipped translations and ``ContentTranslation`` rows carry the ones
admins add or correct at run time. Lookups are cached on the session (``session.info``): a web request
has its own session, so an admin's change shows on the next request without a restart, and a page
that translates a hundred labels runs one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo
from flask_babel import gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.errors import DomainError, NotFoundError
from server.i18n import CONTENT_LOCALE
from server.i18n_extract import bpmn_texts, form_texts
from server.locale.models import ContentTranslation

_CACHE = "sinergi_content_translations"
_catalog_dirs: list[Path] = []
_catalogs: dict[tuple[Path, str], tuple[float, dict[str, str]]] = {}


class TranslationInvalidError(DomainError):
    status = 422
    code = "translation_invalid"


def configure(directories: Iterable[str | Path]) -> None:
    """Where the compiled catalogs are (``BABEL_TRANSLATION_DIRECTORIES``); called by ``init_app``."""
    _catalog_dirs[:] = [Path(directory) for directory in directories]


def msgid_hash(msgid: str) -> str:
    return hashlib.sha256(msgid.encode("utf-8")).hexdigest()


def translate_content(session: Session, locale: str, text: str) -> str:
    """The text to show for `text` in `locale`: an admin's translation, else the catalog's, else `text`."""
    if not isinstance(text, str) or not text:
        return text
    overrides, catalog = _lookups(session, str(locale))
    return overrides.get(text) or catalog.get(text) or text


def translator(session: Session, locale: str) -> Callable[[str], str]:
    """`translate_content` bound to one session and locale: the ``translate=`` argument of the form renderer."""
    locale = str(locale)

    def translate(text: str) -> str:
        return translate_content(session, locale, text)

    return translate


def coverage(session: Session, locale: str, strings: Iterable[str]) -> list[str]:
    """The strings (once each, in order) that have no translation in `locale`, neither an admin's nor the catalog's.

    Content is written in Indonesian, so nothing is missing in Indonesian.
    """
    locale = str(locale)
    wanted = list(dict.fromkeys(text for text in strings if isinstance(text, str) and text.strip()))
    if locale == CONTENT_LOCALE:
        return []
    overrides, catalog = _lookups(session, locale)
    return [text for text in wanted if not overrides.get(text) and not catalog.get(text)]


def form_coverage(session: Session, *, schema: Any, ui_schema: Any, locales: Iterable[str]) -> dict[str, list[str]]:
    """Untranslated strings of one form version, per locale (only locales that miss something)."""
    strings = form_texts(schema, ui_schema)
    return {locale: missing for locale in locales if (missing := coverage(session, locale, strings))}


def workflow_coverage(session: Session, *, bpmn_xml: bytes | str, locales: Iterable[str]) -> dict[str, list[str]]:
    """Untranslated strings of one workflow version (task, lane, event, gateway names...), per locale."""
    strings = bpmn_texts(bpmn_xml)
    return {locale: missing for locale in locales if (missing := coverage(session, locale, strings))}


def get(session: Session, translation_id: int) -> ContentTranslation:
    row = session.get(ContentTranslation, translation_id)
    if row is None:
        raise NotFoundError()
    return row


def find(session: Session, *, locale: str, msgid: str) -> ContentTranslation | None:
    return session.execute(select(ContentTranslation).where(
        ContentTranslation.locale == locale, ContentTranslation.msgid_hash == msgid_hash(msgid))).scalar_one_or_none()


def search(session: Session, *, locale: str | None = None, query: str | None = None, page: int = 1,
           per_page: int = 100) -> tuple[list[ContentTranslation], int]:
    """Admins' translations, optionally of one locale and containing `query` (original or translation)."""
    stmt = select(ContentTranslation)
    if locale:
        stmt = stmt.where(ContentTranslation.locale == locale)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(ContentTranslation.msgid.ilike(pattern, escape="\\"),
                              ContentTranslation.text.ilike(pattern, escape="\\")))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(ContentTranslation.msgid, ContentTranslation.locale)
                           .limit(per_page).offset((max(page, 1) - 1) * per_page)).scalars()
    return list(rows), int(total)


def set_translation(session: Session, *, locale: str, msgid: str, text: str, user: Any, now: datetime,
                    locales: Iterable[str], row: ContentTranslation | None = None) -> ContentTranslation:
    """Create or change the translation of `msgid` in `locale` (one row per pair)."""
    # Browsers send a textarea's line breaks as CRLF; definitions use LF.
    msgid = (msgid or "").replace("\r\n", "\n").strip("\n")
    text, locale = (text or "").replace("\r\n", "\n").strip(), (locale or "").strip()
    if locale not in set(locales):
        raise _invalid("locale", gettext("Choose one of the site's languages."))
    if not msgid.strip():
        raise _invalid("msgid", gettext("The original text is required."))
    if not text:
        raise _invalid("text", gettext("The translation is required."))
    existing = find(session, locale=locale, msgid=msgid)
    if existing is not None and existing is not row:
        if row is not None:
            raise _invalid("msgid", gettext("This text already has a translation in that language."))
        row = existing
    if row is None:
        row = ContentTranslation(locale=locale, msgid=msgid, msgid_hash=msgid_hash(msgid), text=text,
                                 updated_at=now)
        session.add(row)
    before = row.text if row.id else None
    row.locale, row.msgid, row.msgid_hash, row.text = locale, msgid, msgid_hash(msgid), text
    row.updated_by_id, row.updated_at = getattr(user, "id", None), now
    session.flush()
    audit.record(session, action="translation.changed", actor=user, now=now, object_type="content_translation",
                 object_id=row.id, details={"locale": locale, "msgid": msgid[:200], "before": before, "after": text})
    forget(session)
    return row


def delete(session: Session, *, row: ContentTranslation, user: Any, now: datetime) -> None:
    """Remove an admin's translation: the catalog's (or the original text) shows again."""
    audit.record(session, action="translation.deleted", actor=user, now=now, object_type="content_translation",
                 object_id=row.id, details={"locale": row.locale, "msgid": row.msgid[:200], "before": row.text})
    session.delete(row)
    session.flush()
    forget(session)


def _invalid(field: str, message: str) -> TranslationInvalidError:
    return TranslationInvalidError(message, details=[{"field": field, "message": message}])


def forget(session: Session) -> None:
    """Drop this session's cached lookups (after a change in the same request)."""
    session.info.pop(_CACHE, None)


def _lookups(session: Session, locale: str) -> tuple[dict[str, str], dict[str, str]]:
    cache: dict[str, tuple[dict[str, str], dict[str, str]]] = session.info.setdefault(_CACHE, {})
    if locale not in cache:
        rows = session.execute(select(ContentTranslation.msgid, ContentTranslation.text)
                               .where(ContentTranslation.locale == locale))
        cache[locale] = ({msgid: text for msgid, text in rows if text}, catalog_messages(locale))
    return cache[locale]


def catalog_messages(locale: str) -> dict[str, str]:
    """msgid → msgstr of the compiled catalog of `locale` (singular messages without context).

    Read from the ``.mo`` file and kept until the file changes, so ``make i18n-compile`` on a running
    server takes effect without a restart.
    """
    merged: dict[str, str] = {}
    for directory in reversed(_catalog_dirs):  # the first directory wins, as in Flask-Babel
        path = directory / locale / "LC_MESSAGES" / "messages.mo"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        cached = _catalogs.get((directory, locale))
        if cached is None or cached[0] != mtime:
            with path.open("rb") as fh:
                catalog = read_mo(fh)
            cached = (mtime, {message.id: message.string for message in catalog
                              if isinstance(message.id, str) and message.id and not message.context
                              and isinstance(message.string, str) and message.string})
            _catalogs[(directory, locale)] = cached
        merged.update(cached[1])
    return merged

