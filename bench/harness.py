"""Shared plumbing for the benchmarks and the reliability tests: a database of our own, the real server
as a subprocess (gunicorn through ``sinergi serve``), a small keep-alive HTTP client, process memory.

Traffic goes only to 127.0.0.1. Nothing here imports the server package: the server runs in its own
processes, exactly as in production.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEMO_PASSWORD = "sinergi-demo"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# --------------------------------------------------------------------------------------------------
# Databases


@dataclass
class Database:
    """A SQLite file in a temporary folder, or a uniquely named PostgreSQL database (dropped by ``drop``)."""

    kind: str  # "sqlite" | "postgresql"
    url: str  # as given to SINERGI_DATABASE_URL (libpq style for PostgreSQL)
    name: str = ""
    admin_url: str = ""
    tmpdir: str = ""

    @classmethod
    def create(cls, kind: str, pg_url: str | None = None, tag: str = "bench") -> Database:
        if kind == "sqlite":
            tmpdir = tempfile.mkdtemp(prefix=f"sinergi-{tag}-")
            return cls("sqlite", f"sqlite:///{tmpdir}/sinergi.db", tmpdir=tmpdir)
        import psycopg

        assert pg_url, "a PostgreSQL URL is needed"
        name = f"sinergi_{tag}_{uuid.uuid4().hex[:10]}"
        admin = libpq_url(pg_url)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = admin.rpartition("/")
        return cls("postgresql", f"{base}/{name}", name=name, admin_url=admin)

    def connect(self) -> Any:
        """A DB-API connection (sqlite3 or psycopg) to this database."""
        if self.kind == "sqlite":
            import sqlite3

            conn = sqlite3.connect(self.url[len("sqlite:///"):], timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        import psycopg

        return psycopg.connect(self.url)

    def drop(self) -> None:
        if self.kind == "sqlite":
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            return
        import psycopg

        for _ in range(10):
            try:
                with psycopg.connect(self.admin_url, autocommit=True) as conn:
                    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = %s AND pid <> pg_backend_pid()", (self.name,))
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                return
            except psycopg.OperationalError:
                time.sleep(1)  # the server may be restarting (outage test)


def server_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINERGI_")}
    env.update({
        "SINERGI_DATABASE_URL": db_url,
        "SINERGI_EMBEDDED_WORKER": "false",
        "SINERGI_NO_EMBEDDED_WORKER": "1",
        "SINERGI_SECRET_KEY": "bench-" + uuid.uuid5(uuid.NAMESPACE_URL, db_url).hex,
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def run_cli(db_url: str, *args: str, timeout: float = 300, prelude: str = "",
            env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``sinergi <args>`` against ``db_url`` (optionally after some Python ``prelude``)."""
    code = f"import sys\n{prelude}\nfrom server.cli import main\nmain(sys.argv[1:], prog_name='sinergi')"
    return subprocess.run([PYTHON, "-c", code, *args], cwd=ROOT, env=server_env(db_url, **(env_extra or {})),
                          capture_output=True, text=True, timeout=timeout, check=False)


# --------------------------------------------------------------------------------------------------
# The server


@dataclass
class Server:
    """``sinergi serve`` in its own process group on a free port of 127.0.0.1."""

    db_url: str
    workers: int = 1
    threads: int = 8
    prelude: str = ""  # Python run before the CLI (the bench's optional runtime patch)
    log_path: str = ""
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    env_extra: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> Server:
        self.port = self.port or free_port()
        if not self.log_path:
            self.log_path = tempfile.mktemp(prefix="sinergi-server-", suffix=".log")
        code = f"import sys\n{self.prelude}\nfrom server.cli import main\nmain(sys.argv[1:], prog_name='sinergi')"
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open by the child
        self.proc = subprocess.Popen(
            [PYTHON, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers), "--threads", str(self.threads)],
            cwd=ROOT, env=server_env(self.db_url, **self.env_extra), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log:\n{self.log_tail()}")
            try:
                status, _ = Http(self.port, timeout=5).request("GET", "/healthz")
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout}s; log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_text(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def rss_kb(self) -> dict[int, int]:
        return {pid: rss_kb(pid) for pid in self.worker_pids()}

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill9()

    def kill9(self) -> None:
        """Crash: SIGKILL to the master and every worker at once."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=20)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return sorted(found)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------------------------------
# HTTP


class Http:
    """One keep-alive connection to the server (one per client thread)."""

    def __init__(self, port: int, timeout: float = 60):
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return resp.status, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def token(port: int, username: str, password: str = DEMO_PASSWORD) -> str:
    status, body = Http(port).request("POST", "/api/v1/auth/token", {"username": username, "password": password})
    if status != 201:
        raise RuntimeError(f"login of {username} failed: {status} {body}")
    return str(body["token"])


# --------------------------------------------------------------------------------------------------
# The konsultasi loop: catat_konsultasi -> tinjau_konsultasi ("kembalikan") -> catat_konsultasi -> ...

CATAT = {"topik": "hak_anak", "ringkasan": "Ibu menanyakan hak asuh anak setelah perceraian (fiktif).",
         "saran": "Dirujuk ke LBH untuk konsultasi hukum.", "perlu_tindak_lanjut": True,
         "kontak_ulang": "2026-12-05"}
TINJAU = {"keputusan": "kembalikan", "catatan": "Lengkapi saran dan rencana tindak lanjut."}
PAYLOADS = {"catat_konsultasi": CATAT, "tinjau_konsultasi": TINJAU}
ACTORS = {"catat_konsultasi": "pendamping", "tinjau_konsultasi": "kepala"}


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    if not n:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)
