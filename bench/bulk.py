"""Bulk-insert copies of a real case (its case row, task rows, submissions and audit entries) with SQL.

Copies are made from a template case the benchmark completed through the API, so engine state, task
rows and submissions are realistic. Audit entries are re-chained (hash over the previous hash), so the
chain stays verifiable. Every column is copied as stored, so columns added later come along.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from harness import Database

BATCH = 2000


def _rows(conn: Any, sql: str, params: tuple[Any, ...]) -> tuple[list[str], list[list[Any]]]:
    cur = conn.cursor()
    cur.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return cols, [list(r) for r in cur.fetchall()]


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def copy_case(db: Database, template_case_id: int, count: int, *, reference_prefix: str = "BENCH") -> float:
    """Insert ``count`` copies of the template case; returns seconds taken."""
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    from server.audit.service import entry_hash  # the server's own hash, so `sinergi audit verify` agrees

    t0 = time.perf_counter()
    pg = db.kind == "postgresql"
    ph = "%s" if pg else "?"
    conn = db.connect()
    try:
        case_cols, case_rows = _rows(conn, f'SELECT * FROM "case" WHERE id = {ph}', (template_case_id,))
        task_cols, task_rows = _rows(conn, f"SELECT * FROM task WHERE case_id = {ph} ORDER BY id", (template_case_id,))
        sub_cols, sub_rows = _rows(conn, f"SELECT * FROM submission WHERE case_id = {ph} ORDER BY id",
                                   (template_case_id,))
        aud_cols, aud_rows = _rows(conn, f"SELECT * FROM audit_event WHERE case_id = {ph} AND action NOT LIKE "
                                         f"{ph} ORDER BY id", (template_case_id, "%.read%"))
        cur = conn.cursor()
        if pg:
            cur.execute("SELECT last_hash, last_id FROM audit_head WHERE id = 1 FOR UPDATE")
        else:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute("SELECT last_hash, last_id FROM audit_head WHERE id = 1")
        prev, _ = cur.fetchone()

        def next_id(table: str) -> int:
            cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
            return int(cur.fetchone()[0]) + 1

        case_id0, task_id0, sub_id0, aud_id0 = next_id("case"), next_id("task"), next_id("submission"), \
            next_id("audit_event")
        ci = {c: i for i, c in enumerate(case_cols)}
        ti = {c: i for i, c in enumerate(task_cols)}
        si = {c: i for i, c in enumerate(sub_cols)}
        ai = {c: i for i, c in enumerate(aud_cols)}
        hash_fields = ("at", "actor_id", "actor_name", "action", "object_type", "object_id", "case_id", "ip",
                       "details")
        out: dict[str, list[list[Any]]] = {"case": [], "task": [], "submission": [], "audit_event": []}
        last_aud_id = 0

        def flush() -> None:
            for table, cols in (("case", case_cols), ("task", task_cols), ("submission", sub_cols),
                                ("audit_event", aud_cols)):
                rows = out[table]
                if not rows:
                    continue
                collist = ", ".join(f'"{c}"' for c in cols)
                if pg:
                    with cur.copy(f'COPY "{table}" ({collist}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])
                else:
                    marks = ", ".join("?" * len(cols))
                    cur.executemany(f'INSERT INTO "{table}" ({collist}) VALUES ({marks})', rows)
                rows.clear()

        task_map_base = {row[ti["id"]]: k for k, row in enumerate(task_rows)}
        for n in range(count):
            new_case = case_id0 + n
            row = list(case_rows[0])
            row[ci["id"]] = new_case
            row[ci["reference"]] = f"{reference_prefix}-{new_case:07d}"
            out["case"].append(row)
            base_task = task_id0 + n * len(task_rows)
            for k, t in enumerate(task_rows):
                r = list(t)
                r[ti["id"]] = base_task + k
                r[ti["case_id"]] = new_case
                out["task"].append(r)
            for k, s in enumerate(sub_rows):
                r = list(s)
                r[si["id"]] = sub_id0 + n * len(sub_rows) + k
                r[si["case_id"]] = new_case
                r[si["task_id"]] = base_task + task_map_base[s[si["task_id"]]]
                out["submission"].append(r)
            for k, a in enumerate(aud_rows):
                r = list(a)
                last_aud_id = aud_id0 + n * len(aud_rows) + k
                r[ai["id"]] = last_aud_id
                r[ai["case_id"]] = new_case
                if r[ai["object_type"]] == "case":
                    r[ai["object_id"]] = str(new_case)
                elif r[ai["object_type"]] == "task" and str(r[ai["object_id"]]).isdigit() \
                        and int(r[ai["object_id"]]) in task_map_base:
                    r[ai["object_id"]] = str(base_task + task_map_base[int(r[ai["object_id"]])])
                fields = {f: r[ai[f]] for f in hash_fields}
                fields["at"] = _as_datetime(fields["at"])
                fields["details"] = _as_json(fields["details"]) or {}
                digest = entry_hash(prev, fields)
                r[ai["prev_hash"]] = prev
                r[ai["hash"]] = digest
                prev = digest
                out["audit_event"].append(r)
            if len(out["case"]) >= BATCH:
                flush()
        flush()
        if aud_rows and count:
            cur.execute(f"UPDATE audit_head SET last_hash = {ph}, last_id = {ph} WHERE id = 1", (prev, last_aud_id))
        if pg:
            for table in ("case", "task", "submission", "audit_event"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                            f"(SELECT MAX(id) FROM \"{table}\"))")
        conn.commit()
        if pg:
            conn.autocommit = True
            conn.execute("ANALYZE")
        else:
            conn.execute("ANALYZE")
    finally:
        conn.close()
    return time.perf_counter() - t0


def count_rows(db: Database, table: str) -> int:
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute(f'SELECT COUNT(*) FROM "{table}"')
        return int(cur.fetchone()[0])
    finally:
        conn.close()
