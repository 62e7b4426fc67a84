"""kill -9 of every server process in the middle of a stream of completions: nothing half-applied."""

from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import UTC, datetime, timedelta

from bench.harness import PAYLOADS, Http
from tests.reliability.helpers import (
    ACTOR,
    HERE,
    LONG,
    Recorder,
    acknowledged_missing,
    audit_intact,
    consistency_problems,
    open_task,
    requires_pg,
    start_case,
    work_case,
)

pytestmark = requires_pg

CLIENTS = 4
CRASHES = 3 if LONG else 1


def _timer_case(live, tokens) -> int:
    """A case of a small uploaded workflow that waits on a one-hour timer."""
    xml = (HERE / "timer_wait.bpmn").read_bytes()
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=60)
    conn.request("POST", "/api/v1/admin/workflows/rel_timer/versions", body=xml,
                 headers={"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "application/xml"})
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status in (200, 201), body[:2000]
    number = json.loads(body)["number"]
    status, data = Http(live.port).request("POST", f"/api/v1/admin/workflows/rel_timer/versions/{number}/activate",
                                token=tokens["admin"])
    assert status == 200, data
    case = start_case(live.port, tokens["pendamping"], workflow="rel_timer")
    assert case["tasks"] == [], case  # waiting on the timer
    return int(case["id"])


def test_kill_9_mid_stream_leaves_every_case_consistent_and_timers_fire(live, tokens, checker, pg_database):
    timer_case = _timer_case(live, tokens)
    cases = [start_case(live.port, tokens["pendamping"]) for _ in range(CLIENTS)]
    case_ids = [c["id"] for c in cases]
    rec = Recorder()
    for crash in range(CRASHES):
        stop = threading.Event()
        firsts = [open_task(live.port, tokens["pendamping"], cid) or {} for cid in case_ids] if crash else \
            [c["tasks"][0] for c in cases]
        threads = [threading.Thread(target=work_case, args=(live.port, tokens, first, rec, stop), daemon=True)
                   for first in firsts]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        before = len(rec.accepted())
        while len(rec.accepted()) < before + 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        live.kill9()  # master and workers at once, requests in flight
        stop.set()
        for t in threads:
            t.join(timeout=60)
        live.start(timeout=180)

    accepted = rec.accepted()
    assert len(accepted) >= 12, rec.statuses()
    unknown = [o for o in rec.outcomes if not isinstance(o.status, int)]
    assert all(isinstance(o.status, int) and o.status in (200, 409) for o in rec.outcomes if o not in unknown), \
        rec.statuses()
    # every acknowledged completion survived the crash, and nothing is half-applied anywhere
    assert acknowledged_missing(checker, accepted) == []
    assert consistency_problems(checker, [*case_ids, timer_case]) == []
    assert consistency_problems(checker, strict=False) == []  # every case in the database, demo cases too
    audit_intact(checker)
    # the restarted server works every case on
    for cid in case_ids:
        task = open_task(live.port, tokens["pendamping"], cid)
        assert task is not None
        status, body = Http(live.port).request("POST", f"/api/v1/tasks/{task['id']}/complete",
                                               {"data": PAYLOADS[task["bpmn_id"]]}, tokens[ACTOR[task["bpmn_id"]]])
        assert status == 200, body
    # the waiting timer still fires: one worker pass (the code of `sinergi worker --once`) two days ahead
    from server import worker

    fired = worker.tick(checker, now=datetime.now(UTC) + timedelta(days=2))
    assert fired.timers_fired >= 1 and fired.errors == 0, fired
    task = open_task(live.port, tokens["pendamping"], timer_case)
    assert task is not None and task["bpmn_id"] == "setelah_timer", task
    assert consistency_problems(checker, [timer_case]) == []
