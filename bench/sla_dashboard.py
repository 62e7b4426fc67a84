"""SLA dashboard at national size: 100,000 cases and 1,000,000 task rows in PostgreSQL.

    .venv/bin/python bench/sla_dashboard.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
                                            [--cases 100000] [--timers 10000] [--workers 2] [--keep]

1. Creates a database of its own (dropped at the end unless --keep), migrates it, loads the shipped
   workflows and the demo users.
2. Generates cases and tasks with COPY: five years of cases, about ten tasks each, realistic deadlines
   (met, missed, late, at risk, paused), a deadline row per task, every case in ONE office (the worst
   case for the manager's unit-scoped queries) with 200 caseworkers.
3. Times, in process through the Flask test client, the inbox page of a caseworker, the SLA summary
   API and the breach list API of the manager (and, for information, the dashboard page): p50 / p95.
   Target: p95 under 100 ms each.
4. Clones a case with a due boundary timer 10,000 times and lets N worker processes drain them;
   reports timers per second and checks each fired exactly once.

Prints a table and writes it to bench/RESULTS.md under the heading "SLA dashboard".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("SINERGI_NO_EMBEDDED_WORKER", "1")

import psycopg  # noqa: E402

TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_bench" targetNamespace="x">
  <bpmn:process id="bench_timer" name="Bench timer" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="lp" name="pendamping"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>tugas</bpmn:flowNodeRef><bpmn:flowNodeRef>end_ok</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>timer</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lk" name="kepala_uptd"><bpmn:flowNodeRef>eskalasi</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>end_late</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="tugas" name="Tugas"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="persetujuan.schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="timer" attachedToRef="tugas" cancelActivity="true"><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="eskalasi" name="Eskalasi"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="persetujuan.schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end_ok"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_late"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tugas" />
    <bpmn:sequenceFlow id="f2" sourceRef="tugas" targetRef="end_ok" />
    <bpmn:sequenceFlow id="f3" sourceRef="timer" targetRef="eskalasi" />
    <bpmn:sequenceFlow id="f4" sourceRef="eskalasi" targetRef="end_late" />
  </bpmn:process>
</bpmn:definitions>"""

SLA_CHOICES = [("PT4H", 4), ("PT24H", 24), ("PT72H", 72), ("P7D", 168)]
CASE_TYPES = ["KtP"] * 4 + ["KtA"] * 4 + ["AMPK", "TPPO", "lainnya"]


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_database(base: str) -> str:
    name = f"sinergi_bench_sla_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", libpq(base), count=1) if "/" in base.split("@")[-1] \
        else f"{libpq(base)}/{name}"


def drop_database(base: str, url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(libpq(base), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def make_app(url: str):  # noqa: ANN201
    from server import create_app

    return create_app({"DATABASE_URL": url, "EMBEDDED_WORKER": False, "SECRET_KEY": "bench"})


def prepare(app, now: datetime) -> None:  # noqa: ANN001
    from server import demo
    from server.cli import init_database
    from server.db import unit_of_work
    from server.workflows import service as workflows_service

    init_database(app, demo=False)
    with app.app_context(), unit_of_work() as session:
        demo.create_users(session, now=now, unit_code=app.config["OFFICE_CODE"])
        workflows_service.create_version(session, key="bench_timer", xml=TIMER_BPMN.encode(), now=now, activate=True)


# -- data generation ----------------------------------------------------------------------------------


def _ids(conn, table: str) -> int:  # noqa: ANN001
    return int(conn.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()[0])


def _setval(conn, table: str) -> None:  # noqa: ANN001
    conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")


def generate(url: str, n_cases: int, now: datetime, seed: int = 7) -> dict[str, int]:
    """COPY ``n_cases`` cases (~10 tasks each) into the office of the demo manager."""
    rnd = random.Random(seed)
    with psycopg.connect(libpq(url)) as conn:
        unit_id, kepala_id, password = conn.execute(
            'SELECT unit_id, id, password_hash FROM "user" WHERE username = %s', ("kepala",)).fetchone()
        groups = dict(conn.execute('SELECT name, id FROM "group"').fetchall())
        versions = conn.execute(
            "SELECT v.id, d.key FROM workflow_definition d JOIN workflow_version v ON v.id = d.active_version_id"
        ).fetchall()
        from server.workflows import engine as engine_mod

        steps: dict[int, list[tuple[str, str, str | None]]] = {}
        for vid, _key in versions:
            xml = conn.execute("SELECT bpmn_xml FROM workflow_version WHERE id = %s", (vid,)).fetchone()[0]
            parsed = engine_mod.parse_definition(xml.encode())
            steps[vid] = [(t.bpmn_id, t.name, t.lane) for t in parsed.user_tasks] or [("t", "Task", "pendamping")]
        # 200 caseworkers in the office
        first_user = _ids(conn, "user") + 1
        with conn.cursor().copy('COPY "user" (id, username, full_name, password_hash, unit_id, is_active, '
                                'failed_logins, created_at, notify_prefs) FROM STDIN') as cp:
            for i in range(200):
                cp.write_row((first_user + i, f"bench_pendamping_{i}", f"Pendamping {i} (bench)", password, unit_id,
                              True, 0, now, "{}"))
        with conn.cursor().copy("COPY user_group (user_id, group_id) FROM STDIN") as cp:
            for i in range(200):
                cp.write_row((first_user + i, groups["pendamping"]))
        workers = list(range(first_user, first_user + 200))
        case_id, task_id = _ids(conn, "case"), _ids(conn, "task")
        counts = {"cases": n_cases, "tasks": 0, "open_cases": 0, "open_tasks": 0, "deadline_rows": 0}
        span = 5 * 365 * 24
        case_rows: list[tuple] = []
        task_rows: list[tuple] = []
        sla_rows: list[tuple] = []
        for n in range(n_cases):
            case_id += 1
            created = now - timedelta(hours=span * (1 - (n / n_cases)) + rnd.random())
            age_days = (now - created).days
            is_open = rnd.random() < (0.6 if age_days < 60 else 0.1 if age_days < 365 else 0.02)
            vid, _key = versions[n % len(versions)]
            case_type = rnd.choice(CASE_TYPES)
            n_tasks = rnd.randint(8, 12)
            t = last_done = created
            for k in range(n_tasks):
                task_id += 1
                bpmn_id, name, lane = steps[vid][k % len(steps[vid])]
                sla_text, sla_hours = rnd.choice(SLA_CHOICES)
                has_sla = rnd.random() < 0.8
                due = t + timedelta(hours=sla_hours) if has_sla else None
                warn = t + timedelta(hours=sla_hours * 0.75) if has_sla else None
                open_task = is_open and k >= n_tasks - rnd.choice((1, 1, 2))
                assignee = rnd.choice(workers) if (not open_task or rnd.random() < 0.6) else None
                group = groups.get(lane or "pendamping", groups["pendamping"])
                engine_id = str(uuid.UUID(int=rnd.getrandbits(128)))
                if open_task:
                    paused = t + timedelta(hours=1) if has_sla and rnd.random() < 0.03 else None
                    state = None if not has_sla else "paused" if paused else \
                        "breached" if now > due else "at_risk" if now >= warn else "on_track"
                    task_rows.append((task_id, case_id, engine_id, bpmn_id, name, lane, group, assignee, "open", t,
                                      None, None, due, warn, state, paused, 0))
                    counts["open_tasks"] += 1
                else:
                    done = min(t + timedelta(hours=rnd.lognormvariate(2.5, 1.1)), now - timedelta(minutes=1))
                    state = None if not has_sla else "met" if done <= due else "missed"
                    task_rows.append((task_id, case_id, engine_id, bpmn_id, name, lane, group, assignee, "completed",
                                      t, done, assignee, due, warn, state, None, 0))
                    t = last_done = done
                if has_sla:
                    legal = rnd.random() < 0.1
                    sla_rows.append((task_id, "legal" if legal else "bpmn", "tpks_police_report" if legal else None,
                                     "L" if legal else None, legal, sla_text, "task_created", task_rows[-1][9], 0.75))
            counts["tasks"] += n_tasks
            counts["open_cases"] += is_open
            case_rows.append((case_id, f"BENCH-{case_id:07d}", vid, unit_id, "open" if is_open else "closed", "Bench",
                              case_type, kepala_id, created, last_done, None if is_open else last_done, None, "{}",
                              engine_mod.SERIALIZER_VERSION, json.dumps({"jenis_kasus": case_type})))
            if len(case_rows) >= 5000 or n == n_cases - 1:
                counts["deadline_rows"] += len(sla_rows)
                _flush(conn, case_rows, task_rows, sla_rows)
                case_rows, task_rows, sla_rows = [], [], []
        for table in ("user", "case", "task"):
            _setval(conn, table)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load: visibility map and statistics
    return counts


def _flush(conn, case_rows: list[tuple], task_rows: list[tuple], sla_rows: list[tuple]) -> None:  # noqa: ANN001
    with conn.cursor().copy(
        'COPY "case" (id, reference, workflow_version_id, unit_id, status, title, case_type, created_by_id, '
        "created_at, updated_at, closed_at, next_timer_at, engine_state, serializer_version, summary) FROM STDIN"
    ) as cp:
        for row in case_rows:
            cp.write_row(row)
    with conn.cursor().copy(
        "COPY task (id, case_id, engine_task_id, bpmn_id, name, lane, group_id, assignee_id, status, created_at, "
        "completed_at, completed_by_id, due_at, warn_at, sla_state, paused_since, paused_seconds) FROM STDIN"
    ) as cp:
        for row in task_rows:
            cp.write_row(row)
    with conn.cursor().copy("COPY task_sla (task_id, source, policy_key, binding, never_suppress, duration, start, "
                            "start_at, warn_ratio) FROM STDIN") as cp:
        for row in sla_rows:
            cp.write_row(row)


# -- request timings ----------------------------------------------------------------------------------


def _login_web(client, username: str) -> None:  # noqa: ANN001
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"username": username, "password": "sinergi-demo", "csrf_token": token})
    assert resp.status_code in (302, 303), resp.status_code


def _token(client, username: str) -> dict[str, str]:  # noqa: ANN001
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": "sinergi-demo"})
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def time_requests(app, repeat: int) -> list[tuple[str, float, float, float, int]]:  # noqa: ANN001
    """(what, p50 ms, p95 ms, max ms, response bytes) for each measured request."""
    web = app.test_client()
    _login_web(web, "bench_pendamping_7")
    manager_web = app.test_client()
    _login_web(manager_web, "kepala")
    api = app.test_client()
    headers = _token(api, "kepala")
    cases = [
        ("Inbox page (caseworker, all my and my groups' tasks)", lambda: web.get("/inbox")),
        ("Inbox page, late tasks only", lambda: web.get("/inbox?sla=breached")),
        ("GET /api/v1/sla/summary (manager)", lambda: api.get("/api/v1/sla/summary", headers=headers)),
        ("GET /api/v1/sla/breaches (page 1)", lambda: api.get("/api/v1/sla/breaches", headers=headers)),
        ("GET /api/v1/sla/breaches (page 40)", lambda: api.get("/api/v1/sla/breaches?page=40", headers=headers)),
        ("Dashboard page /sla/ (all sections; info)", lambda: manager_web.get("/sla/")),
    ]
    results = []
    for label, call in cases:
        for _ in range(3):
            resp = call()
            assert resp.status_code == 200, (label, resp.status_code, resp.get_data(as_text=True)[:300])
        samples = []
        size = 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            resp = call()
            samples.append((time.perf_counter() - t0) * 1000)
            size = len(resp.get_data())
        samples.sort()
        p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
        results.append((label, statistics.median(samples), p95, samples[-1], size))
    return results


# -- worker throughput --------------------------------------------------------------------------------


def clone_due_timers(app, url: str, n: int, now: datetime) -> tuple[list[int], datetime]:  # noqa: ANN001
    """One real case whose boundary timer is due, copied ``n`` times (engine state, task row, deadline row)."""
    from server.cases import service as cases_service
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        from sqlalchemy import select

        from server.auth.models import User

        user = session.execute(select(User).where(User.username == "pendamping")).scalar_one()
        template = cases_service.start_case(session, workflow_key="bench_timer", user=user,
                                            now=now - timedelta(hours=2)).case.id
    with psycopg.connect(libpq(url)) as conn:
        case_cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'case' AND column_name <> 'id' "
            "AND column_name <> 'reference' ORDER BY ordinal_position").fetchall()]
        task_cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'task' AND column_name NOT IN "
            "('id', 'case_id') ORDER BY ordinal_position").fetchall()]
        case_row = conn.execute(f'SELECT {", ".join(case_cols)} FROM "case" WHERE id = %s', (template,)).fetchone()
        task_row = conn.execute(f'SELECT id, {", ".join(task_cols)} FROM task WHERE case_id = %s', (template,)).fetchone()
        sla_cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'task_sla' AND column_name <> "
            "'task_id' ORDER BY ordinal_position").fetchall()]
        sla_row = conn.execute(f"SELECT {', '.join(sla_cols)} FROM task_sla WHERE task_id = %s", (task_row[0],)).fetchone()
        first_case, first_task = _ids(conn, "case") + 1, _ids(conn, "task") + 1
        ids = list(range(first_case, first_case + n))
        with conn.cursor().copy(f'COPY "case" (id, reference, {", ".join(case_cols)}) FROM STDIN') as cp:
            for i in ids:
                cp.write_row((i, f"TIMER-{i:07d}", *(json.dumps(v) if isinstance(v, dict) else v for v in case_row)))
        # The clones' tasks are past their deadline and were reported by an earlier sweep, as when a
        # worker comes back after an outage: the run measures firing timers, not one notification each.
        state_at = task_cols.index("sla_state") + 1
        late = list(task_row)
        late[state_at] = "breached"
        with conn.cursor().copy(f'COPY task (id, case_id, {", ".join(task_cols)}) FROM STDIN') as cp:
            for k, i in enumerate(ids):
                cp.write_row((first_task + k, i, *late[1:]))
        sla_late = list(sla_row)
        sla_late[sla_cols.index("notified_breached_at")] = now
        with conn.cursor().copy(f"COPY task_sla (task_id, {', '.join(sla_cols)}) FROM STDIN") as cp:
            for k in range(n):
                cp.write_row((first_task + k, *sla_late))
        for table in ("case", "task"):
            _setval(conn, table)
        conn.commit()
        due = conn.execute('SELECT next_timer_at FROM "case" WHERE id = %s', (template,)).fetchone()[0]
    return ids, due


def _worker_process(url: str, now_iso: str, out: multiprocessing.Queue) -> None:
    from server import worker

    app = make_app(url)
    now = datetime.fromisoformat(now_iso)
    fired = idle = 0
    while idle < 3:  # as run_forever: again at once while work is left; stop after three empty passes
        result = worker.tick(app, now=now)
        fired += result.timers_fired
        if result.timers_fired or result.more:
            idle = 0
        else:
            idle += 1
            time.sleep(0.2)
    out.put(fired)


def worker_throughput(url: str, ids: list[int], now: datetime, workers: int) -> tuple[float, list[int], dict]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker_process, args=(url, now.isoformat(), out)) for _ in range(workers)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    per_worker = [out.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    with psycopg.connect(libpq(url)) as conn:
        twice = conn.execute(
            "SELECT count(*) FROM (SELECT case_id FROM audit_event WHERE action = 'case.timer_fired' AND case_id = ANY(%s) "
            "GROUP BY case_id HAVING count(*) > 1) x", (ids,)).fetchone()[0]
        once = conn.execute("SELECT count(DISTINCT case_id) FROM audit_event WHERE action = 'case.timer_fired' "
                            "AND case_id = ANY(%s)", (ids,)).fetchone()[0]
        left = conn.execute('SELECT count(*) FROM "case" WHERE id = ANY(%s) AND next_timer_at IS NOT NULL',
                            (ids,)).fetchone()[0]
    return elapsed, per_worker, {"fired_once": once, "fired_twice": twice, "still_due": left}


# -- report -------------------------------------------------------------------------------------------


def write_results(text: str) -> Path:
    """Create bench/RESULTS.md if missing; replace our section if present, else append it."""
    path = ROOT / "bench" / "RESULTS.md"
    section = "## SLA dashboard\n\n" + text.strip() + "\n"
    if not path.exists():
        path.write_text("# Benchmark results\n\n" + section)
        return path
    body = path.read_text()
    match = re.search(r"^## SLA dashboard\n.*?(?=^## |\Z)", body, flags=re.S | re.M)
    body = body[:match.start()] + section + "\n" + body[match.end():] if match else body.rstrip() + "\n\n" + section
    path.write_text(body)
    return path


def _reuse(url: str) -> dict[str, int]:
    """Counts of a kept database; timers left due by an earlier run are switched off."""
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("UPDATE \"case\" SET next_timer_at = NULL WHERE reference LIKE 'TIMER-%%'")
        one = lambda sql: int(conn.execute(sql).fetchone()[0])  # noqa: E731
        return {"cases": one("SELECT count(*) FROM \"case\" WHERE reference LIKE 'BENCH-%%'"),
                "tasks": one("SELECT count(*) FROM task"),
                "open_cases": one("SELECT count(*) FROM \"case\" WHERE status = 'open' AND reference LIKE 'BENCH-%%'"),
                "open_tasks": one("SELECT count(*) FROM task WHERE status = 'open'"),
                "deadline_rows": one("SELECT count(*) FROM task_sla")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SINERGI_BENCH_DATABASE_URL",
                                                        "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database", help="reuse a database kept by an earlier run (skips generation)")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args()

    url = libpq(args.url).rsplit("/", 1)[0] + "/" + args.database if args.database else create_database(args.url)
    print(f"database {url.rsplit('/', 1)[1]}")
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        app = make_app(url)
        if args.database:
            counts, gen_s = _reuse(url), 0.0
        else:
            prepare(app, now)
            t0 = time.perf_counter()
            counts = generate(url, args.cases, now)
            gen_s = time.perf_counter() - t0
        print(f"generated {counts} in {gen_s:.1f} s", flush=True)
        timings = time_requests(app, args.repeat)
        for label, p50, p95, worst, size in timings:
            print(f"  {label:55} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {worst:7.1f} ms  {size} bytes", flush=True)
        ids, due = clone_due_timers(app, url, args.timers, now)
        elapsed, per_worker, check = worker_throughput(url, ids, max(now, due + timedelta(minutes=1)), args.workers)
        with psycopg.connect(libpq(url)) as conn:
            total_tasks = conn.execute("SELECT count(*) FROM task").fetchone()[0]
            total_cases = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
    finally:
        if not args.keep and not args.database:
            drop_database(args.url, url)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"PostgreSQL on 127.0.0.1; load average at the end {load:.1f}. Run {now:%Y-%m-%d %H:%M} UTC.",
        "",
        f"Data: {total_cases:,} cases ({counts['open_cases']:,} open), {total_tasks:,} task rows "
        f"({counts['open_tasks']:,} open), {counts['deadline_rows']:,} deadline rows, all in one office "
        f"(the manager's queries scan everything), 200 caseworkers. Generated with COPY in {gen_s:.0f} s.",
        "",
        "| request (in process, Flask test client) | p50 ms | p95 ms | max ms | target p95 |",
        "|---|---:|---:|---:|---|",
    ]
    for label, p50, p95, worst, _size in timings:
        target = "" if "info" in label else ("< 100 ms: " + ("met" if p95 < 100 else "MISSED"))
        lines.append(f"| {label} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {target} |")
    rate = args.timers / elapsed if elapsed else 0.0
    lines += [
        "",
        f"Worker: {args.timers:,} cases with a due boundary timer, {args.workers} worker processes "
        f"(`FOR NO KEY UPDATE SKIP LOCKED`, one transaction per case): drained in {elapsed:.1f} s = **{rate:.0f} timers/s** "
        f"(per worker: {', '.join(str(n) for n in per_worker)}). Fired once: {check['fired_once']:,}; "
        f"fired twice: {check['fired_twice']}; still due: {check['still_due']}.",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    if not args.no_write:
        print(f"\nwritten to {write_results(text)}")


if __name__ == "__main__":
    main()
