"""The ``sinergi`` command: init, serve, worker, demo, audit verify."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from server import clock


def _app(**overrides: Any) -> Any:
    from server import create_app

    return create_app({"EMBEDDED_WORKER": False, **overrides})


@click.group()
def main() -> None:
    """Sinergi: case workflows for UPTD PPA."""


def init_database(app: Any, *, demo: bool) -> dict[str, Any]:
    from flask_migrate import upgrade

    from server import demo as demo_mod
    from server import setup_content
    from server.db import unit_of_work

    with app.app_context():
        upgrade(directory=str(Path(__file__).parent / "migrations"))
        with unit_of_work() as session:
            loaded = setup_content.install(session, content_dir=Path(app.config["CONTENT_DIR"]), now=clock.utcnow(),
                                           office_code=app.config["OFFICE_CODE"], office_name=app.config["OFFICE_NAME"])
        if demo:
            with unit_of_work() as session:
                loaded["users"] = demo_mod.create_users(session, now=clock.utcnow(), unit_code=app.config["OFFICE_CODE"])
            with unit_of_work() as session:
                loaded["cases"] = demo_mod.create_sample_cases(session, now=clock.utcnow())
    return loaded


@main.command()
@click.option("--demo", is_flag=True, help="Also create demo users and sample cases.")
def init(demo: bool) -> None:
    """Create or upgrade the database and load shipped workflows and forms (idempotent)."""
    app = _app()
    loaded = init_database(app, demo=demo)
    click.echo(f"database ready: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    for kind, items in loaded.items():
        click.echo(f"  {kind}: {items if isinstance(items, int) else (', '.join(items) or 'up to date')}")


@main.command()
def demo() -> None:
    """Create the demo users and sample cases."""
    init_database(_app(), demo=True)
    click.echo("demo data ready; password for every demo user: sinergi-demo")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="gunicorn processes (default: 1 on SQLite, 2 otherwise)")
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the web application with gunicorn."""
    from gunicorn.app.base import BaseApplication

    from server import config as config_mod

    probe = {"DATABASE_URL": None}
    import os

    url = os.environ.get("SINERGI_DATABASE_URL") or probe["DATABASE_URL"]
    is_sqlite = not url or str(url).startswith("sqlite")
    if workers is None:
        workers = 1 if is_sqlite else 2
    if is_sqlite and workers > 1:
        click.echo("SQLite runs one process (the embedded worker lives in it); using 1", err=True)
        workers = 1
    del config_mod

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 60)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            from server import create_app

            return create_app()

    click.echo(f"Sinergi on http://{host}:{port}")
    _Server().run()


@main.command()
@click.option("--once", is_flag=True, help="Run one pass and exit.")
def worker(once: bool) -> None:
    """Fire due timers, move SLA states and send mail, forever (or once)."""
    from server import worker as worker_mod

    app = _app()
    if once:
        result = worker_mod.tick(app)
        click.echo(f"timers fired: {result.timers_fired}, SLA changes: {result.sla_changed}, "
                   f"mail sent: {result.mails_sent}, errors: {result.errors}")
        return
    worker_mod.run_forever(app)


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 and name the first broken entry if it was tampered with."""
    from server.audit import service as audit_service
    from server.extensions import db

    app = _app()
    with app.app_context():
        result = audit_service.verify(db.session)
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} entries")
        return
    where = f"entry {result.first_broken_id}" if result.first_broken_id else "the end of the chain"
    click.echo(f"audit chain BROKEN at {where}: {result.reason} ({result.checked} entries verified before it)",
               err=True)
    sys.exit(1)


if __name__ == "__main__":
    main()
