"""Labels that templates show for stored codes (deadline states, audit actions), translated lazily: a page
translates only the labels it shows, once each, instead of a whole table per row."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SLA_STATES = {
    "on_track": _l("On track"), "at_risk": _l("At risk"), "breached": _l("Late"), "paused": _l("Paused"),
    "met": _l("Met"), "missed": _l("Missed"),
}

ACTIONS = {
    "case.started": _l("Case started"),
    "case.read": _l("Case opened"),
    "case.read_denied": _l("Access refused"),
    "case.linked": _l("Linked to another case"),
    "case.message": _l("Message received"),
    "case.migrated": _l("Moved to a newer workflow version"),
    "case.timer_fired": _l("Timer fired"),
    "case.timer_failed": _l("Timer failed"),
    "task.read": _l("Task opened"),
    "task.claimed": _l("Task claimed"),
    "task.unclaimed": _l("Task returned to the group"),
    "task.assigned": _l("Task assigned"),
    "task.completed": _l("Task completed"),
    "task.sla_paused": _l("Deadline paused"),
    "task.sla_resumed": _l("Deadline resumed"),
    "sla.state_changed": _l("Deadline status changed"),
    "sla.case_state_changed": _l("Case deadline status changed"),
    "sla.escalated": _l("Escalated"),
}
