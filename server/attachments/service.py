"""Case attachments: upload (sniffed, size-capped, content-addressed), list and download, all behind the
case access check and all audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.attachments import sniff, storage
from server.attachments.models import Attachment
from server.audit import service as audit
from server.auth.models import User
from server.auth.permissions import CASE_ROLES
from server.cases import access
from server.cases.models import Case
from server.errors import DomainError, NotFoundError, PayloadTooLargeError, ValidationFailedError

#: What an attachment is; the value is stored, the label shown.
KINDS = {
    "visum": _l("Medical report (visum et repertum)"),
    "surat": _l("Letter"),
    "foto": _l("Photo"),
    "laporan": _l("Report"),
    "lainnya": _l("Other"),
}


class AttachmentUnavailableError(DomainError):
    """The stored file is missing or no longer matches its hash (restored without files, or altered)."""

    status = 500
    code = "attachment_unavailable"

    def default_message(self) -> str:
        return gettext("This file is missing or damaged on the server. Ask the administrator to restore it.")


@dataclass
class Download:
    attachment: Attachment
    path: Path


def may_attach(session: Session, user: User, case: Case) -> bool:
    """Staff with a case role who may see the case may add files to it."""
    return bool(user.group_names & CASE_ROLES) and access.can_see_case(session, user, case)


def _visible_case(session: Session, *, case_id: int, user: User) -> Case:
    case = session.get(Case, case_id)
    if case is None or not access.can_see_case(session, user, case):
        raise NotFoundError()
    return case


def list_for_case(session: Session, *, case_id: int, user: User) -> list[Attachment]:
    """A case's attachments, oldest first (the caller has audited the case read)."""
    _visible_case(session, case_id=case_id, user=user)
    return list(session.execute(
        select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.uploaded_at, Attachment.id)
    ).scalars())


def upload(session: Session, *, case_id: int, user: User, stream: BinaryIO, filename: str, kind: str,
           description: str, now: datetime, root: Path, max_bytes: int, ip: str = "") -> Attachment:
    """Check access, size and real type, store the bytes under their SHA-256, add the row and audit it."""
    case = session.get(Case, case_id)
    if case is None or not may_attach(session, user, case):
        if case is not None:
            audit.record(session, action="attachment.upload_denied", actor=user, now=now, object_type="case",
                         object_id=case_id, case_id=case_id, ip=ip)
        raise NotFoundError()
    if kind not in KINDS:
        raise ValidationFailedError(details=[{"field": "kind", "keyword": "enum",
                                              "message": gettext("Choose what kind of file this is.")}])
    try:
        staged = storage.stage(root, stream, max_bytes=max_bytes)
    except storage.TooLargeError:
        raise PayloadTooLargeError(gettext("The file is larger than %(mb)s MB.",
                                           mb=round(max_bytes / 1024 / 1024, 1))) from None
    try:
        if staged.size == 0:
            raise ValidationFailedError(details=[{"field": "file", "keyword": "required",
                                                  "message": gettext("The file is empty.")}])
        content_type = sniff.sniff(staged.path)
        if content_type is None:
            raise ValidationFailedError(
                gettext("This type of file is not accepted. Use PDF, JPEG, PNG, plain text, DOCX or ODT."),
                details=[{"field": "file", "keyword": "type",
                          "message": gettext("This type of file is not accepted. "
                                             "Use PDF, JPEG, PNG, plain text, DOCX or ODT.")}],
                code="file_type")
        storage.commit(root, staged)
    finally:
        storage.discard(staged)
    row = Attachment(case_id=case.id, sha256=staged.sha256, size=staged.size, content_type=content_type,
                     filename=sniff.clean_filename(filename, content_type), kind=kind,
                     description=(description or "").strip()[:500], uploaded_by_id=user.id, uploaded_at=now)
    session.add(row)
    session.flush()
    audit.record(session, action="attachment.uploaded", actor=user, now=now, object_type="attachment",
                 object_id=row.id, case_id=case.id, ip=ip,
                 details={"sha256": row.sha256, "size": row.size, "content_type": content_type, "kind": kind})
    return row


def open_for_download(session: Session, *, attachment_id: int, user: User, now: datetime, root: Path,
                      ip: str = "") -> Download:
    """The attachment and its verified file, for a user who may see its case; the download is audited."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFoundError()
    case = session.get(Case, row.case_id)
    if case is None or not access.can_see_case(session, user, case):
        audit.record(session, action="attachment.read_denied", actor=user, now=now, object_type="attachment",
                     object_id=attachment_id, case_id=row.case_id, ip=ip)
        raise NotFoundError()
    path = storage.verified_path(root, row.sha256)
    if path is None:
        audit.record(session, action="attachment.unavailable", actor=user, now=now, object_type="attachment",
                     object_id=row.id, case_id=row.case_id, ip=ip, details={"sha256": row.sha256})
        raise AttachmentUnavailableError()
    audit.record(session, action="attachment.downloaded", actor=user, now=now, object_type="attachment",
                 object_id=row.id, case_id=row.case_id, ip=ip, details={"sha256": row.sha256})
    return Download(row, path)
