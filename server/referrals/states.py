"""Referral and transfer lifecycles: one transition table each; nothing sets a status directly."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from server.errors import ConflictError


class ReferralStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DONE = "done"
    REVOKED = "revoked"


#: Where a referral may go next. A partner may finish a one-off service (a visum) without accepting it
#: first; rejected, done and revoked referrals are final (a new referral is a new row).
REFERRAL_TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.SENT: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.DONE,
                                    ReferralStatus.REVOKED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.DONE, ReferralStatus.REVOKED}),
    ReferralStatus.REJECTED: frozenset(),
    ReferralStatus.DONE: frozenset(),
    ReferralStatus.REVOKED: frozenset(),
}

#: Statuses in which the partner agency still works the referral (and may read what it shares).
ACTIVE = frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED})

#: The ``status`` value of the ``jawaban_rujukan`` message the workflows' gateways read, per status.
MESSAGE_STATUS: dict[ReferralStatus, str] = {
    ReferralStatus.ACCEPTED: "diterima",
    ReferralStatus.REJECTED: "ditolak",
    ReferralStatus.DONE: "selesai",
    ReferralStatus.REVOKED: "dicabut",
}
#: The reverse: what a partner's answer form says, as a status.
ANSWER_STATUS: dict[str, ReferralStatus] = {v: k for k, v in MESSAGE_STATUS.items() if k != ReferralStatus.REVOKED}


class TransferStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


TRANSFER_TRANSITIONS: dict[TransferStatus, frozenset[TransferStatus]] = {
    TransferStatus.REQUESTED: frozenset({TransferStatus.ACCEPTED, TransferStatus.DECLINED, TransferStatus.CANCELLED}),
    TransferStatus.ACCEPTED: frozenset(),
    TransferStatus.DECLINED: frozenset(),
    TransferStatus.CANCELLED: frozenset(),
}


class InvalidTransitionError(ConflictError):
    """A move the transition table does not allow (usually: someone else answered first)."""

    code = "invalid_transition"

    def default_message(self) -> str:
        from flask_babel import gettext

        return gettext("This referral has already been answered or closed. Reload the page.")


def transition(row: Any, *, to: StrEnum, table: dict[Any, frozenset[Any]]) -> None:
    """Move ``row.status`` to ``to`` if the table allows it, else raise InvalidTransitionError."""
    current = type(to)(row.status)
    if to not in table[current]:
        raise InvalidTransitionError(details=[{"field": "status", "keyword": "transition",
                                               "message": f"{current.value} -> {to.value}"}])
    row.status = to.value


def referral_label(status: str) -> str:
    """A referral status for people."""
    labels = {
        ReferralStatus.SENT: pgettext("referral", "Sent"),
        ReferralStatus.ACCEPTED: pgettext("referral", "Accepted"),
        ReferralStatus.REJECTED: pgettext("referral", "Rejected"),
        ReferralStatus.DONE: pgettext("referral", "Done"),
        ReferralStatus.REVOKED: pgettext("referral", "Revoked"),
    }
    return str(labels.get(status, status))  # type: ignore[call-overload]


def transfer_label(status: str) -> str:
    labels = {
        TransferStatus.REQUESTED: pgettext("transfer", "Requested"),
        TransferStatus.ACCEPTED: pgettext("transfer", "Accepted"),
        TransferStatus.DECLINED: pgettext("transfer", "Declined"),
        TransferStatus.CANCELLED: pgettext("transfer", "Cancelled"),
    }
    return str(labels.get(status, status))  # type: ignore[call-overload]


#: Consent categories of the ``informasi_hak`` form (``persetujuan_berbagi_info``).
CONSENT_LABELS = {
    "polisi": _l("Police"), "rsud_puskesmas": _l("Hospital / health centre"), "dinsos": _l("Social affairs office"),
    "kejaksaan": _l("Prosecutor"), "lpsk": _l("LPSK"), "lbh": _l("Legal aid"), "keluarga": _l("Family"),
    "lainnya": _l("Other"),
}
