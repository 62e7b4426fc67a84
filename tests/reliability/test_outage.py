"""PostgreSQL stops for a few seconds under load: the server answers 503, recovers by itself, and loses
nothing it acknowledged.

Stopping the cluster affects every database on it, so this test only runs where it may: as root with
``pg_ctlcluster`` available (the CI machine); PostgreSQL is always started again in ``finally``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bench.harness import Http
from tests.reliability.helpers import (
    LONG,
    Recorder,
    acknowledged_missing,
    audit_intact,
    consistency_problems,
    requires_pg,
    start_case,
    work_case,
)

CLUSTER_VERSIONS = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
pytestmark = [*requires_pg, pytest.mark.skipif(
    not (shutil.which("pg_ctlcluster") and CLUSTER_VERSIONS and os.geteuid() == 0),
    reason="needs pg_ctlcluster and root to stop and start the local PostgreSQL cluster")]

OUTAGE_SECONDS = 8 if LONG else 4


def _cluster(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", CLUSTER_VERSIONS[-1], "main", action],
                   check=True, capture_output=True, timeout=120)


def _wait_ready(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False).returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError("PostgreSQL did not come back")


def test_database_outage_answers_503_recovers_and_loses_nothing(live, tokens, checker):
    cases = [start_case(live.port, tokens["pendamping"]) for _ in range(3)]
    rec = Recorder()
    reads = Recorder()
    stop = threading.Event()

    def reader() -> None:
        http = Http(live.port, timeout=30)
        while not stop.is_set():
            try:
                status, _ = http.request("GET", "/api/v1/tasks?scope=all&status=open", token=tokens["pendamping"])
            except OSError as exc:
                status = type(exc).__name__
            from tests.reliability.helpers import Outcome

            reads.add(Outcome(0, "inbox", status))
            time.sleep(0.05)

    threads = [threading.Thread(target=work_case, args=(live.port, tokens, c["tasks"][0], rec, stop),
                                kwargs={"on_error": lambda exc: True}, daemon=True) for c in cases]
    threads.append(threading.Thread(target=reader, daemon=True))
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        during_from = len(rec.outcomes) + len(reads.outcomes)
        _cluster("stop")
        time.sleep(OUTAGE_SECONDS)
    finally:
        _cluster("start")
        _wait_ready()
    after_restart = len(rec.outcomes)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(o.status == 200 for o in rec.outcomes[after_restart:]):
        time.sleep(0.2)
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join(timeout=60)

    statuses = rec.statuses()
    read_statuses = reads.statuses()
    everything = [o.status for o in rec.outcomes + reads.outcomes]
    assert not [s for s in everything if isinstance(s, int) and s >= 500 and s != 503], (statuses, read_statuses)
    assert not [s for s in everything if not isinstance(s, int)], (statuses, read_statuses)  # no dropped connections
    assert set(statuses) <= {200, 503}, statuses
    assert during_from < len(everything) and 503 in everything, (statuses, read_statuses)
    assert any(o.status == 200 for o in rec.outcomes[after_restart:]), "no completion succeeded after the restart"
    assert acknowledged_missing(checker, rec.accepted()) == []
    assert consistency_problems(checker, [c["id"] for c in cases]) == []
    audit_intact(checker)
