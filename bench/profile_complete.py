"""Where the time of one task completion goes: cProfile over N completions through the Flask test client.

    .venv/bin/python bench/profile_complete.py [-n 200] [--pg URL] [--sort tottime|cumulative] [--top 40]

Same workflow and payloads as bench/complete_task.py (standard step: a new case every 20 completions),
in-process (no gunicorn, no sockets), so the profile shows the application's own cost. Prints the top
functions and a breakdown by area (engine, serializer, jsonschema, SQL, audit, SLA, Flask...).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import ACTORS, PAYLOADS, Database, median, sqlalchemy_url  # noqa: E402

AREAS = [
    ("SpiffWorkflow engine (complete + engine steps)", ("SpiffWorkflow/bpmn/specs", "SpiffWorkflow/specs",
                                                        "SpiffWorkflow/task.py", "SpiffWorkflow/util")),
    ("SpiffWorkflow serializer", ("SpiffWorkflow/bpmn/serializer", "SpiffWorkflow/serializer")),
    ("sandbox (RestrictedPython)", ("server/workflows/sandbox", "RestrictedPython")),
    ("jsonschema / forms", ("jsonschema", "referencing", "server/forms")),
    ("SQLAlchemy ORM + driver", ("sqlalchemy", "sqlite3", "psycopg")),
    ("audit", ("server/audit",)),
    ("SLA", ("server/sla", "holidays", "dateutil")),
    ("Flask / Werkzeug / Babel", ("flask", "werkzeug", "babel", "jinja2")),
    ("json", ("json/",)),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--pg")
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--top", type=int, default=35)
    ap.add_argument("--callees", action="append", default=[], help="print the callees of functions matching this")
    ap.add_argument("--sql", action="store_true", help="list the SQL statements of one completion")
    ap.add_argument("--pgfix", action="store_true", help="apply bench/pgfix.py (PostgreSQL lock bug)")
    ap.add_argument("--split", action="store_true",
                    help="wall-clock time of each phase of a completion, without the profiler")
    args = ap.parse_args()
    db = Database.create("postgresql" if args.pg else "sqlite", args.pg, tag="profile")
    try:
        if args.pgfix:
            import pgfix

            pgfix.apply()
        from server import create_app
        from server.cli import init_database

        app = create_app({"DATABASE_URL": sqlalchemy_url(db.url), "EMBEDDED_WORKER": False,
                          "SECRET_KEY": "profile"})
        init_database(app, demo=True)
        client = app.test_client()
        tokens = {}
        for user in ("pendamping", "kepala"):
            r = client.post("/api/v1/auth/token", json={"username": user, "password": "sinergi-demo"})
            tokens[user] = {"Authorization": f"Bearer {r.get_json()['token']}"}
        state = {"task": None, "done": 0}

        def step() -> float:
            if state["task"] is None or state["done"] >= 20:
                r = client.post("/api/v1/cases", json={"workflow": "konsultasi"}, headers=tokens["pendamping"])
                first = r.get_json()["tasks"][0]
                state["task"], state["done"] = (first["id"], first["bpmn_id"]), 0
            task_id, bpmn_id = state["task"]
            t0 = time.perf_counter()
            r = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": PAYLOADS[bpmn_id]},
                            headers=tokens[ACTORS[bpmn_id]])
            elapsed = time.perf_counter() - t0
            assert r.status_code == 200, r.get_json()
            nxt = r.get_json()["next_tasks"][0]
            state["task"] = (nxt["id"], nxt["bpmn_id"])
            state["done"] += 1
            return elapsed

        for _ in range(30):
            step()
        if args.sql:
            from sqlalchemy import event

            from server.extensions import db as ext_db

            seen: list[str] = []
            with app.app_context():
                engine = ext_db.engine

            def _log(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
                seen.append(" ".join(statement.split())[:160])

            event.listen(engine, "before_cursor_execute", _log)
            step()
            event.remove(engine, "before_cursor_execute", _log)
            print(f"SQL statements of one completion: {len(seen)}")
            for i, stmt in enumerate(seen, 1):
                print(f"  {i:2d}. {stmt}")
        if args.split:
            split(app, step, args.n)
            return 0
        plain = [step() for _ in range(args.n)]
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            step()
        prof.disable()
        print(f"in-process completion (no profiler): p50 {median(plain) * 1000:.1f} ms over {args.n}")
        stats = pstats.Stats(prof)
        total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
        by_area: dict[str, float] = {}
        for (filename, _line, _fn), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            area = next((name for name, keys in AREAS if any(k in filename for k in keys)), "other")
            by_area[area] = by_area.get(area, 0.0) + tt
        print(f"\nself time by area over {args.n} profiled completions ({total:.2f} s):")
        for area, tt in sorted(by_area.items(), key=lambda kv: -kv[1]):
            print(f"  {100 * tt / total:5.1f}%  {1000 * tt / args.n:6.2f} ms/completion  {area}")
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(args.sort).print_stats(args.top)
        print(buf.getvalue())
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats("server/", 40)
        print(buf.getvalue())
        for pattern in args.callees:
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_callees(pattern)
            print(buf.getvalue())
    finally:
        db.drop()
    return 0


#: (module, attribute, label) of the phases timed by --split.
PHASES = [
    ("server.auth.service", "user_for_token", "API token → user and groups (before_request)"),
    ("server.tasks.service", "complete", "tasks_service.complete (everything below, but commit)"),
    ("server.cases.service", "lock_task_case", "  lock the case (+ version hash, generation)"),
    ("server.forms.service", "validate_submission", "  validate the submission (jsonschema)"),
    ("server.cases.service", "load_instance", "  deserialize the engine state"),
    ("server.workflows.engine:Instance", "complete_task", "  complete the task + engine steps"),
    ("server.workflows.engine:Engine", "dump", "  serialize the engine state"),
    ("server.cases.service", "sync_tasks", "  mirror tasks (+ SLA rows, flush of every write)"),
    ("server.sla.service", "on_task_created", "    deadline of the new task"),
    ("server.notifications.service", "tasks_created", "  notify the new task's group"),
    ("sqlalchemy.orm:Session", "flush", "ORM flushes (all)"),
    ("sqlalchemy.orm:Session", "commit", "commit (audit chain sealing + COMMIT)"),
]


def split(app: object, step: object, n: int) -> None:
    """Wrap each phase with a wall-clock timer, run ``n`` completions, print the time per completion."""
    import importlib

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    spent: dict[str, float] = {}

    def timed(func: object, label: str) -> object:
        def wrapper(*args: object, **kwargs: object) -> object:
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)  # type: ignore[operator]
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0
        return wrapper

    for target, attr, label in PHASES:
        module_name, _, cls = target.partition(":")
        owner = importlib.import_module(module_name)
        owner = getattr(owner, cls) if cls else owner
        setattr(owner, attr, timed(getattr(owner, attr), label))

    def before(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        spent["SQL in the driver (all statements)"] = (spent.get("SQL in the driver (all statements)", 0.0)
                                                       + time.perf_counter() - conn.info["bench_t0"])

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    totals = [step() for _ in range(n)]  # type: ignore[operator]
    per = {label: 1000 * t / n for label, t in spent.items()}
    print(f"in-process completion, wall clock: p50 {median(totals) * 1000:.2f} ms, "
          f"mean {1000 * sum(totals) / n:.2f} ms over {n} (request through the Flask test client)")
    for _target, _attr, label in PHASES:
        if label in per:
            print(f"  {per[label]:7.2f} ms  {label}")
    print(f"  {per.get('SQL in the driver (all statements)', 0.0):7.2f} ms  SQL in the driver (all statements)")


if __name__ == "__main__":
    sys.exit(main())
