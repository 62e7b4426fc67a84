"""The audit log: every read and write of case data, logins, definition and permission changes.

Entries are queued on the session and chained at commit time: the chain head row is locked just
before commit (``FOR UPDATE``), so appends from many processes form one ordered chain and the lock
is held only for the end of each transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent, AuditHead

GENESIS = "0" * 64
_PENDING = "audit_pending"
_CARRIED = "audit_carried"


def record(session: Session, *, action: str, actor: Any = None, now: datetime, object_type: str = "",
           object_id: Any = "", case_id: int | None = None, ip: str = "", details: dict[str, Any] | None = None,
           actor_name: str | None = None) -> None:
    """Queue an audit entry; it is written and chained when the transaction commits.

    Without ``ip`` the entry takes the client address the request guard put in ``session.info``.
    """
    session.info.setdefault(_PENDING, []).append({
        "at": now,
        "actor_id": getattr(actor, "id", None),
        "actor_name": actor_name if actor_name is not None else getattr(actor, "username", "") or "",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else "",
        "case_id": case_id,
        "ip": (ip or session.info.get("audit_ip") or "")[:64],
        "details": details or {},
    })


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The hash of one entry: SHA-256 over the previous hash and the entry's canonical JSON."""
    payload = {
        "prev": prev_hash,
        "at": fields["at"].isoformat(timespec="microseconds"),
        "actor_id": fields["actor_id"],
        "actor_name": fields["actor_name"],
        "action": fields["action"],
        "object_type": fields["object_type"],
        "object_id": fields["object_id"],
        "case_id": fields["case_id"],
        "ip": fields["ip"],
        "details": fields["details"],
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


#: The statements of every sealing, built once.
_LOCK_HEAD = select(AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
_INSERT_EVENT = insert(AuditEvent).returning(AuditEvent.id)
_MOVE_HEAD = update(AuditHead).where(AuditHead.id == 1).values(
    last_hash=bindparam("last_hash"), last_id=bindparam("last_id"))


def _seal(session: Session) -> None:
    """Chain and write the queued entries: lock the head, insert the entries, move the head. Core
    statements on the session's connection (the hot path of every request that writes)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # rows the entries refer to (a new case, a new user) exist first
    connection = session.connection()
    head = connection.execute(_LOCK_HEAD).first()
    if head is None:
        connection.execute(insert(AuditHead).values(id=1, last_hash=GENESIS, last_id=0))
        prev = GENESIS
    else:
        prev = head.last_hash
    rows = []
    for fields in pending:
        digest = entry_hash(prev, fields)
        rows.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    last_id = max(connection.execute(_INSERT_EVENT, rows).scalars().all())
    connection.execute(_MOVE_HEAD, {"last_hash": prev, "last_id": last_id})


def install() -> None:
    """Chain queued entries in every session just before it commits (idempotent)."""
    if not event.contains(Session, "before_commit", _seal):
        event.listen(Session, "before_commit", _seal)
    if not event.contains(Session, "after_rollback", _drop_pending):
        event.listen(Session, "after_rollback", _drop_pending)


def _drop_pending(session: Session) -> None:
    # A refused access ("*_denied") is usually followed by an error that rolls the transaction back; keep
    # those entries so the error handler can still write them (write_carried).
    pending = session.info.pop(_PENDING, None) or []
    refused = [entry for entry in pending if str(entry["action"]).endswith("_denied")]
    if refused:
        session.info.setdefault(_CARRIED, []).extend(refused)


def write_carried(session: Session) -> int:
    """Commit the refused-access entries of a transaction that was rolled back; returns how many.

    Called by the HTTP error handler, after the request's unit of work has rolled back, so that attempts to
    open a case (or file) without access are in the log although the request failed.
    """
    carried = session.info.pop(_CARRIED, None)
    if not carried:
        return 0
    session.rollback()  # a clean transaction of its own
    session.info.setdefault(_PENDING, []).extend(carried)
    session.commit()
    return len(carried)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def verify(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first entry whose hash or link does not match.

    Detects edited entries (hash), deleted or inserted entries (link), and entries removed from the end
    (the head row keeps the last hash). Someone who can rewrite the whole table and the head row
    can forge a consistent chain; compare the head with a copy kept elsewhere (see docs/security.md).
    """
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for row in rows:
            fields = {k: getattr(row, k) for k in ("at", "actor_id", "actor_name", "action", "object_type",
                                                    "object_id", "case_id", "ip", "details")}
            if row.prev_hash != prev:
                return VerifyResult(False, checked, row.id,
                                    f"link to the previous entry is broken ({_describe(row)}); an entry before "
                                    "it was removed, inserted or altered")
            if entry_hash(prev, fields) != row.hash:
                return VerifyResult(False, checked, row.id,
                                    f"entry content does not match its hash ({_describe(row)})")
            prev = row.hash
            checked += 1
            last_id = row.id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is None:
        if checked:
            return VerifyResult(False, checked, None, "the chain head row is missing")
        return VerifyResult(True, 0)
    if head.last_hash != prev:
        return VerifyResult(False, checked, None,
                            f"entries after entry {last_id} were removed (the chain head records entry "
                            f"{head.last_id} as the last one)")
    return VerifyResult(True, checked)


def _describe(row: AuditEvent) -> str:
    return f"{row.action} by {row.actor_name or 'system'} at {row.at.isoformat(timespec='seconds')}"


def case_access_log(session: Session, *, case_id: int, limit: int = 200,
                    before_id: int | None = None) -> list[AuditEvent]:
    """Who read or changed a case, newest first; ``before_id`` pages back through older entries."""
    stmt = select(AuditEvent).where(AuditEvent.case_id == case_id)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return list(session.execute(stmt.order_by(AuditEvent.id.desc()).limit(limit)).scalars())
