"""Sends the mail outbox after commit; retries with exponential backoff; logs mail in development."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import Flask
from sqlalchemy import select

from server.db import unit_of_work
from server.notifications.models import OutboxMessage

log = logging.getLogger("sinergi.mail")
MAX_ATTEMPTS = 8


def render_body(app: Flask, row: OutboxMessage) -> str:
    """The body as it leaves: the link made absolute with the server's address."""
    from server.notifications.service import BASE_URL_MARK

    return row.body.replace(BASE_URL_MARK, str(app.config.get("BASE_URL") or "").rstrip("/"))


def deliver(app: Flask, row: OutboxMessage) -> None:
    host = app.config.get("SMTP_HOST")
    body = render_body(app, row)
    if not host:
        log.info("mail to %s: %s\n%s", row.to_address, row.subject, body)
        return
    msg = EmailMessage()
    msg["From"] = app.config["SMTP_FROM"]
    msg["To"] = row.to_address
    msg["Subject"] = row.subject
    msg.set_content(body)
    with smtplib.SMTP(host, int(app.config["SMTP_PORT"]), timeout=10) as smtp:
        smtp.send_message(msg)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def send_due(app: Flask, *, now: datetime, batch: int = 50) -> int:
    """Send pending mail whose time has come; each row is leased with SKIP LOCKED."""
    sent = 0
    with unit_of_work() as session:
        rows = session.execute(
            select(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id).limit(batch).with_for_update(skip_locked=True, key_share=True)
        ).scalars().all()
        for row in rows:
            row.attempts += 1
            try:
                deliver(app, row)
            except Exception as exc:  # any transport failure is retried later
                row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                else:
                    row.next_attempt_at = now + backoff(row.attempts)
                continue
            row.status = "sent"
            row.sent_at = now
            sent += 1
    return sent
