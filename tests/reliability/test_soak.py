"""Soak: a bounded mixed load (inbox, case pages, completions, case starts, SLA dashboard) on the
multi-process server: zero 5xx, and the memory of every web process stays flat."""

from __future__ import annotations

import threading
import time

from bench.harness import Http
from tests.reliability.helpers import (
    LONG,
    Outcome,
    Recorder,
    audit_intact,
    consistency_problems,
    requires_pg,
    start_case,
    work_case,
)

pytestmark = requires_pg

SECONDS = 300 if LONG else 30
WARMUP = 8
MAX_GROWTH_KB = 40 * 1024  # per web process between the end of the warm-up and the end of the soak


def test_mixed_load_has_no_5xx_and_flat_memory(live, tokens, checker):
    cases = [start_case(live.port, tokens["pendamping"]) for _ in range(3)]
    rec = Recorder()
    reads = Recorder()
    stop = threading.Event()
    started_cases: list[int] = [c["id"] for c in cases]

    def reader() -> None:
        http = Http(live.port, timeout=30)
        paths = ["/api/v1/tasks?scope=all&status=open&sort=due_at", "/api/v1/tasks?scope=mine&status=completed",
                 "/api/v1/cases?per_page=25", "/api/v1/sla/summary", "/api/v1/sla/breaches"]
        i = 0
        while not stop.is_set():
            path = paths[i % len(paths)] if i % 6 else f"/api/v1/cases/{started_cases[i % len(started_cases)]}"
            user = "kepala" if "/sla/" in path else "pendamping"
            try:
                status, _ = http.request("GET", path, token=tokens[user])
            except OSError as exc:
                status = type(exc).__name__
            reads.add(Outcome(0, path, status))
            i += 1

    def starter() -> None:  # one intake desk: case starts one after another
        http = Http(live.port, timeout=30)
        while not stop.is_set():
            try:
                status, body = http.request("POST", "/api/v1/cases", {"workflow": "konsultasi"},
                                            tokens["pendamping"])
            except OSError as exc:
                status, body = type(exc).__name__, None
            reads.add(Outcome(0, "start", status))
            if status == 201:
                started_cases.append(body["id"])
            stop.wait(0.5)

    threads = [threading.Thread(target=work_case, args=(live.port, tokens, c["tasks"][0], rec, stop), daemon=True)
               for c in cases]
    threads += [threading.Thread(target=reader, daemon=True), threading.Thread(target=starter, daemon=True)]
    for t in threads:
        t.start()
    time.sleep(WARMUP)
    rss_start = live.rss_kb()
    time.sleep(SECONDS)
    rss_end = live.rss_kb()
    stop.set()
    for t in threads:
        t.join(timeout=60)

    everything = rec.outcomes + reads.outcomes
    bad = [(o.bpmn_id, o.status) for o in everything if not isinstance(o.status, int) or o.status >= 500]
    assert bad == [], bad[:10]
    assert {o.status for o in rec.outcomes} <= {200}, rec.statuses()
    assert len(rec.accepted()) >= 10, rec.statuses()
    assert {o.status for o in reads.outcomes} <= {200, 201, 404}, reads.statuses()
    growth = {pid: rss_end.get(pid, 0) - kb for pid, kb in rss_start.items()}
    assert set(rss_end) == set(rss_start), "a web process was replaced during the soak"
    assert max(growth.values()) < MAX_GROWTH_KB, {pid: f"{kb / 1024:.1f} MiB" for pid, kb in growth.items()}
    assert consistency_problems(checker, [c["id"] for c in cases]) == []
    audit_intact(checker)
