"""Benchmark: completing a task end to end over HTTP against the library floor.

    .venv/bin/python bench/complete_task.py --quick                       # SQLite only, a few minutes
    .venv/bin/python bench/complete_task.py --pg postgresql://postgres@127.0.0.1:5432/test

Per backend (SQLite file; PostgreSQL in a uniquely named database that is dropped afterwards) it
initialises a database with ``sinergi init --demo``, serves the real app with gunicorn (``sinergi serve``)
on a free port of 127.0.0.1 and measures, in one run:

* latency of ``POST /api/v1/tasks/{id}/complete`` with one client (p50/p95), and the library floor for the
  same step in-process (bench/floor.py), with the ratio server/floor;
* throughput with 2, 4 and 8 clients (each on its own cases);
* growth with the case's own history: one completion after 10, 100 and 500 completed tasks in the same case,
  server and floor;
* growth with the number of cases: the same completion with 1,000 and with 100,000 cases in the database
  (copies of a real case bulk-inserted with SQL, bench/bulk.py);
* memory: VmRSS of one web process after 10,000 completions.

The workflow is the shipped ``konsultasi``: catat_konsultasi -> tinjau_konsultasi ("kembalikan") loops back.
A "standard step" is a completion in a case with fewer than 20 completed tasks (a client starts a new case
every 20 completions; the floor does the same). Tables go to stdout and to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bulk  # noqa: E402
import pgfix  # noqa: E402
from floor import Floor  # noqa: E402
from harness import (  # noqa: E402
    ACTORS,
    PAYLOADS,
    ROOT,
    Database,
    Http,
    Server,
    median,
    percentile,
    run_cli,
    token,
)

STANDARD_HISTORY = 20
START_RETRIES = [0]
START_RETRIES_LOCK = threading.Lock()


@dataclass
class Config:
    name: str
    latency_n: int
    clients: tuple[int, ...]
    throughput_seconds: float
    history_sizes: tuple[int, ...]
    history_window: int
    case_counts: tuple[int, ...]
    cases_n: int
    memory_completions: int


QUICK = Config("quick", latency_n=150, clients=(2, 4, 8), throughput_seconds=6, history_sizes=(10, 100, 500),
               history_window=5, case_counts=(1_000, 20_000), cases_n=100, memory_completions=2_000)
SMOKE = Config("smoke", latency_n=10, clients=(2,), throughput_seconds=2, history_sizes=(10,), history_window=2,
               case_counts=(100, 300), cases_n=10, memory_completions=200)
FULL = Config("full", latency_n=400, clients=(2, 4, 8), throughput_seconds=20, history_sizes=(10, 100, 500),
              history_window=10, case_counts=(1_000, 100_000), cases_n=300, memory_completions=10_000)


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------------
# Clients


class Runner:
    """One client: works the konsultasi loop on its own case, starting a new case every ``history`` steps."""

    def __init__(self, port: int, tokens: dict[str, str], history: int | None = STANDARD_HISTORY):
        self.http = Http(port)
        self.tokens = tokens
        self.history = history
        self.task: tuple[int, str] | None = None
        self.case_id: int | None = None
        self.done_in_case = 0
        self.start_times: list[float] = []

    def new_case(self) -> None:
        for _attempt in range(10):
            t0 = time.perf_counter()
            status, body = self.http.request("POST", "/api/v1/cases", {"workflow": "konsultasi"},
                                             self.tokens["pendamping"])
            if status != 503:
                break
            # server bug: concurrent starts collide on the case reference (IntegrityError -> 503); retry
            with START_RETRIES_LOCK:
                START_RETRIES[0] += 1
        self.start_times.append(time.perf_counter() - t0)
        if status != 201:
            raise BenchError(f"start case: {status} {body}")
        first = body["tasks"][0]
        self.task, self.case_id, self.done_in_case = (first["id"], first["bpmn_id"]), body["id"], 0

    def complete(self) -> float:
        if self.task is None or (self.history is not None and self.done_in_case >= self.history):
            self.new_case()
        assert self.task is not None
        task_id, bpmn_id = self.task
        t0 = time.perf_counter()
        status, body = self.http.request("POST", f"/api/v1/tasks/{task_id}/complete", {"data": PAYLOADS[bpmn_id]},
                                         self.tokens[ACTORS[bpmn_id]])
        elapsed = time.perf_counter() - t0
        if status != 200:
            raise BenchError(f"complete {bpmn_id}: {status} {body}")
        nxt = body["next_tasks"][0]
        self.task = (nxt["id"], nxt["bpmn_id"])
        self.done_in_case += 1
        return elapsed


class FloorRunner:
    def __init__(self, floor: Floor, history: int | None = STANDARD_HISTORY):
        self.floor, self.history = floor, history
        self.case_id: int | None = None
        self.done = 0

    def complete(self) -> tuple[float, int]:
        if self.case_id is None or (self.history is not None and self.done >= self.history):
            self.case_id, self.done = self.floor.new_case(), 0
        elapsed, _, size = self.floor.step(self.case_id, PAYLOADS)
        self.done += 1
        return elapsed, size


def timed(fn: Any, n: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        fn()
    return [fn() for _ in range(n)]


def ms(values: list[float], p: float = 50) -> float:
    return percentile(values, p) * 1000


# --------------------------------------------------------------------------------------------------
# Phases


@dataclass
class BackendResult:
    kind: str
    notes: list[str] = field(default_factory=list)
    latency: dict[str, float] = field(default_factory=dict)
    throughput: list[dict[str, float]] = field(default_factory=list)
    history: list[dict[str, float]] = field(default_factory=list)
    cases: list[dict[str, float]] = field(default_factory=list)
    memory: list[tuple[int, int]] = field(default_factory=list)
    seconds: float = 0.0


def phase_latency(res: BackendResult, port: int, tokens: dict[str, str], floor: Floor, cfg: Config) -> None:
    runner = Runner(port, tokens)
    server = timed(runner.complete, cfg.latency_n)
    fr = FloorRunner(floor)
    floor_times = timed(lambda: fr.complete()[0], cfg.latency_n)
    res.latency = {
        "n": cfg.latency_n,
        "server_p50": ms(server), "server_p95": ms(server, 95), "server_mean": 1000 * sum(server) / len(server),
        "floor_p50": ms(floor_times), "floor_p95": ms(floor_times, 95),
        "start_case_p50": ms(runner.start_times),
    }
    res.latency["ratio_p50"] = res.latency["server_p50"] / res.latency["floor_p50"]
    res.latency["ratio_p95"] = res.latency["server_p95"] / res.latency["floor_p95"]


def phase_throughput(res: BackendResult, port: int, tokens: dict[str, str], cfg: Config) -> None:
    for n_clients in cfg.clients:
        stop = threading.Event()
        samples: list[tuple[float, float]] = []
        errors: list[str] = []
        lock = threading.Lock()

        def client(stop: threading.Event = stop, samples: list[tuple[float, float]] = samples,
                   lock: threading.Lock = lock, errors: list[str] = errors) -> None:
            runner = Runner(port, tokens)
            try:
                while not stop.is_set():
                    elapsed = runner.complete()
                    with lock:
                        samples.append((time.perf_counter(), elapsed))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                runner.http.close()

        threads = [threading.Thread(target=client, daemon=True) for _ in range(n_clients)]
        for t in threads:
            t.start()
        time.sleep(2.0)  # warm-up: connections, first cases
        t0 = time.perf_counter()
        time.sleep(cfg.throughput_seconds)
        t1 = time.perf_counter()
        stop.set()
        for t in threads:
            t.join(timeout=60)
        if errors:
            raise BenchError(f"throughput with {n_clients} clients: {errors[:3]}")
        window = [e for (end, e) in samples if t0 <= end <= t1]
        res.throughput.append({"clients": n_clients, "per_second": len(window) / (t1 - t0),
                               "p50": ms(window), "p95": ms(window, 95), "n": len(window)})


def _state_size(db: Database, case_id: int) -> int:
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute('SELECT LENGTH(engine_state) FROM "case" WHERE id = ' + ("%s" if db.kind != "sqlite" else "?"),
                    (case_id,))
        return int(cur.fetchone()[0])
    finally:
        conn.close()


def phase_history(res: BackendResult, db: Database, port: int, tokens: dict[str, str], floor: Floor,
                  cfg: Config) -> None:
    total = max(cfg.history_sizes) + cfg.history_window
    runner = Runner(port, tokens, history=None)
    server_times: list[float] = []
    server_sizes: dict[int, int] = {}
    for i in range(total):
        server_times.append(runner.complete())
        if i + 1 in cfg.history_sizes:
            assert runner.case_id is not None
            server_sizes[i + 1] = _state_size(db, runner.case_id)
    fr = FloorRunner(floor, history=None)
    floor_times, floor_sizes = [], []
    for _ in range(total):
        t, size = fr.complete()
        floor_times.append(t)
        floor_sizes.append(size)
    for n in cfg.history_sizes:
        s = median(server_times[n:n + cfg.history_window]) * 1000
        f = median(floor_times[n:n + cfg.history_window]) * 1000
        res.history.append({"completed": n, "server_ms": s, "floor_ms": f, "ratio": s / f,
                            "server_state_bytes": server_sizes.get(n, 0), "floor_state_bytes": floor_sizes[n - 1]})


def phase_cases(res: BackendResult, db: Database, port: int, tokens: dict[str, str], cfg: Config) -> None:
    template = Runner(port, tokens, history=None)
    for _ in range(4):
        template.complete()
    assert template.case_id is not None
    for target in cfg.case_counts:
        have = bulk.count_rows(db, "case")
        insert_s = bulk.copy_case(db, template.case_id, max(0, target - have)) if target > have else 0.0
        runner = Runner(port, tokens)
        times = timed(runner.complete, cfg.cases_n)
        for _ in range(10):
            runner.new_case()
        starts = runner.start_times[-10:]
        res.cases.append({"cases": bulk.count_rows(db, "case"), "tasks": bulk.count_rows(db, "task"),
                          "audit": bulk.count_rows(db, "audit_event"), "insert_s": insert_s,
                          "p50": ms(times), "p95": ms(times, 95), "start_p50": ms(starts)})


def phase_memory(res: BackendResult, server: Server, tokens: dict[str, str], cfg: Config) -> None:
    pid = server.worker_pids()[0]
    marks = sorted({0, 1_000, cfg.memory_completions // 2, cfg.memory_completions})
    done = 0
    lock = threading.Lock()
    errors: list[str] = []

    def client(quota: int) -> None:
        nonlocal done
        runner = Runner(server.port, tokens)
        try:
            for _ in range(quota):
                runner.complete()
                with lock:
                    done += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    # warm-up so that RSS at 0 is the steady state of a serving process, not a cold one
    warm = Runner(server.port, tokens)
    for _ in range(100):
        warm.complete()
    res.memory.append((0, server.rss_kb()[pid]))
    threads = [threading.Thread(target=client, args=(cfg.memory_completions // 2,), daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    pending = [m for m in marks if m > 0]
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
        with lock:
            current = done
        while pending and current >= pending[0]:
            res.memory.append((pending.pop(0), server.rss_kb()[pid]))
    for t in threads:
        t.join()
    if errors:
        raise BenchError(f"memory phase: {errors[:3]}")
    while pending:
        res.memory.append((pending.pop(0), server.rss_kb()[pid]))


# --------------------------------------------------------------------------------------------------
# One backend


def _probe(port: int, tokens: dict[str, str]) -> tuple[bool, str]:
    try:
        Runner(port, tokens).complete()
        return True, ""
    except BenchError as exc:
        return False, str(exc)


def run_backend(kind: str, cfg: Config, pg_url: str | None, phases: set[str], log: Any) -> BackendResult:
    res = BackendResult(kind)
    started = time.perf_counter()
    db = Database.create(kind, pg_url, tag="bench")
    server: Server | None = None
    try:
        log(f"[{kind}] init database")
        # demo users (pendamping, kepala) but not the demo's sample cases, which are slow to create and
        # irrelevant here
        init = run_cli(db.url, "init", "--demo", timeout=1800,
                       prelude="import server.demo\nserver.demo.create_sample_cases = lambda session, now: 0")
        if init.returncode != 0:
            raise BenchError(f"sinergi init --demo failed:\n{init.stdout}\n{init.stderr[-3000:]}")
        conn = db.connect()
        floor = Floor(conn, kind)
        workers = 1 if kind == "sqlite" else 2
        server = Server(db.url, workers=workers).start()
        tokens = {u: token(server.port, u) for u in ("pendamping", "kepala")}
        ok, why = _probe(server.port, tokens)
        if not ok and pgfix.SYMPTOM in server.log_text():
            res.notes.append(
                "SERVER BUG: every completion on PostgreSQL fails (503) with 'FOR UPDATE cannot be applied to the "
                "nullable side of an outer join' (lock_case/lock_task lock a row that has a lazy='joined' "
                "relationship). The figures below were measured with the proposed fix patched in at runtime "
                "(bench/pgfix.py: with_for_update(of=Case) / of=Task).")
            log(f"[{kind}] server bug detected; restarting with bench/pgfix.py")
            server.stop()
            server = Server(db.url, workers=workers, prelude=pgfix.PRELUDE).start()
            ok, why = _probe(server.port, tokens)
        if not ok:
            raise BenchError(f"a completion fails: {why}\n{server.log_tail()}")
        res.notes.append(f"gunicorn gthread, {workers} worker(s) x 8 threads; embedded worker off")
        def attempt(name: str, fn: Any) -> None:
            if name not in phases:
                return
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - one failing phase must not lose the others
                res.notes.append(f"phase {name} FAILED: {exc!r}"[:1500])
                log(f"[{kind}] phase {name} failed: {exc!r}")

        log(f"[{kind}] latency, one client, {cfg.latency_n} completions; floor")
        attempt("latency", lambda: phase_latency(res, server.port, tokens, floor, cfg))
        log(f"[{kind}] throughput {cfg.clients}")
        attempt("throughput", lambda: phase_throughput(res, server.port, tokens, cfg))
        log(f"[{kind}] history {cfg.history_sizes}")
        attempt("history", lambda: phase_history(res, db, server.port, tokens, floor, cfg))
        log(f"[{kind}] number of cases {cfg.case_counts}")
        attempt("cases", lambda: phase_cases(res, db, server.port, tokens, cfg))
        conn.close()
        if "memory" in phases:
            log(f"[{kind}] memory, {cfg.memory_completions} completions in one process")
            prelude = server.prelude
            server.stop()
            server = Server(db.url, workers=1, prelude=prelude).start()
            mem_tokens = {u: token(server.port, u) for u in ("pendamping", "kepala")}
            mem_server = server
            attempt("memory", lambda: phase_memory(res, mem_server, mem_tokens, cfg))
        if START_RETRIES[0]:
            res.notes.append(f"SERVER BUG: {START_RETRIES[0]} concurrent case starts failed with 503 (duplicate case "
                             "reference, uq_case_reference) and were retried by the client")
            START_RETRIES[0] = 0
        errors = server.log_text().count("Traceback")
        if errors:
            res.notes.append(f"server log has {errors} tracebacks ({server.log_path})")
    finally:
        if server is not None:
            server.stop()
        db.drop()
    res.seconds = time.perf_counter() - started
    return res


# --------------------------------------------------------------------------------------------------
# Report


def machine() -> list[str]:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:  # noqa: BLE001
            return "?"

    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    free = sh("free -h | sed -n 2p | awk '{print $2\" total, \"$7\" available\"}'")
    pg = sh("psql --version")
    return [f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- CPU: {cpu or '?'}; `nproc` = {os.cpu_count()} (2 cores)",
            f"- memory (`free -h`): {free}",
            f"- Python {platform.python_version()} ({platform.platform()}); {pg}",
            f"- load average at the end of the run: {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} / "
            f"{os.getloadavg()[2]:.2f} (the machine is shared; figures include that noise)"]


def render(results: list[BackendResult], cfg: Config, loads: list[str]) -> str:
    out: list[str] = []
    out.append(f"Run: `bench/complete_task.py{' --quick' if cfg.name == 'quick' else ''}` ({cfg.name})")
    out.append("")
    out.extend(machine())
    out.extend(loads)
    for r in results:
        out.append("")
        out.append(f"#### {r.kind} ({r.seconds:.0f} s)")
        for note in r.notes:
            out.append(f"- {note}")
        if r.latency:
            lat = r.latency
            out += ["", f"Standard step (case with < {STANDARD_HISTORY} completed tasks), one client, "
                        f"n = {int(lat['n'])}:", "",
                    "| | p50 ms | p95 ms |", "|---|---:|---:|",
                    f"| server (HTTP, end to end) | {lat['server_p50']:.1f} | {lat['server_p95']:.1f} |",
                    f"| library floor (in-process) | {lat['floor_p50']:.1f} | {lat['floor_p95']:.1f} |",
                    f"| **ratio server / floor** | **{lat['ratio_p50']:.2f}x** | {lat['ratio_p95']:.2f}x |",
                    "", f"Starting a case (POST /api/v1/cases) p50: {lat['start_case_p50']:.1f} ms. "
                        f"Target: ratio within 2x (issue 10), 3x (issue 2)."]
        if r.throughput:
            out += ["", "Throughput (each client on its own cases):", "",
                    "| clients | completions/s | p50 ms | p95 ms | n |", "|---:|---:|---:|---:|---:|"]
            for t in r.throughput:
                out.append(f"| {t['clients']} | {t['per_second']:.1f} | {t['p50']:.1f} | {t['p95']:.1f} | {t['n']} |")
        if r.history:
            out += ["", f"Growth with the case's own history (median of {cfg.history_window} completions "
                        "after N completed tasks in the same case):", "",
                    "| N | server ms | floor ms | ratio | server state bytes | floor state bytes |",
                    "|---:|---:|---:|---:|---:|---:|"]
            for h in r.history:
                out.append(f"| {h['completed']} | {h['server_ms']:.1f} | {h['floor_ms']:.1f} | {h['ratio']:.2f}x | "
                           f"{h['server_state_bytes']:,} | {h['floor_state_bytes']:,} |")
        if r.cases:
            out += ["", f"Growth with the number of cases (standard step, one client, n = {cfg.cases_n}):", "",
                    "| cases in db | task rows | audit rows | bulk insert s | complete p50 ms | p95 ms | "
                    "start case p50 ms |", "|---:|---:|---:|---:|---:|---:|---:|"]
            for c in r.cases:
                out.append(f"| {c['cases']:,} | {c['tasks']:,} | {c['audit']:,} | {c['insert_s']:.1f} | "
                           f"{c['p50']:.1f} | {c['p95']:.1f} | {c['start_p50']:.1f} |")
            if len(r.cases) >= 2:
                a, b = r.cases[0], r.cases[-1]
                out.append("")
                out.append(f"p50 with {b['cases']:,} cases / with {a['cases']:,}: {b['p50'] / a['p50']:.2f}")
        if r.memory:
            out += ["", "Memory of the one web process (VmRSS):", "", "| completions | VmRSS MiB |", "|---:|---:|"]
            for n, kb in r.memory:
                out.append(f"| {n:,} | {kb / 1024:.1f} |")
    return "\n".join(out)


def write_results(path: Path, cfg: Config, body: str) -> None:
    begin = f"<!-- bench/complete_task.py {cfg.name}: begin -->"
    end = f"<!-- bench/complete_task.py {cfg.name}: end -->"
    title = {"quick": "### Task completion: quick run (`--quick`)", "full": "### Task completion: full run",
             "smoke": "### Task completion: smoke run"}[cfg.name]
    section = f"{begin}\n{title}\n\n{body}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmark results\n\nSee bench/README.md for what each is.\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller counts; a run fits in a few minutes")
    ap.add_argument("--pg", metavar="URL", help="also run on PostgreSQL (a uniquely named database is created "
                                                "next to the one in URL and dropped afterwards)")
    ap.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    ap.add_argument("--phases", default="latency,throughput,history,cases,memory")
    ap.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file ('' to skip)")
    args = ap.parse_args(argv)
    cfg = SMOKE if os.environ.get("SINERGI_BENCH_SMOKE") else QUICK if args.quick else FULL
    phases = set(args.phases.split(","))
    kinds = (["postgresql"] if args.pg else []) + ([] if args.no_sqlite else ["sqlite"])
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - t_start:7.1f}s {msg}", file=sys.stderr, flush=True)

    loads = [f"- load average at the start: {os.getloadavg()[0]:.2f}"]
    results: list[BackendResult] = []
    for kind in kinds:  # results are written after each backend, so a long run keeps what it measured
        results.append(run_backend(kind, cfg, args.pg, phases, log))
        body = render(results, cfg, loads)
        if args.out:
            write_results(Path(args.out), cfg, body)
            log(f"written to {args.out}")
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
