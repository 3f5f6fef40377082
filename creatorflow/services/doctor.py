"""``doctor``: one verdict per part of the installation, each with a hint when it is not ok."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from creatorflow.errors import CreatorflowError, SchemaMismatchError
from creatorflow.services.context import Services

#: A daemon whose last heartbeat is older than this is reported as stopped.
HEARTBEAT_STALE = timedelta(minutes=5)


@dataclass(frozen=True)
class Check:
    """The verdict on one part of the installation."""

    name: str
    status: str  # ok | warn | fail
    summary: str
    hint: str | None = None


def run_checks(services: Services, now: datetime | None = None) -> list[Check]:
    """Run every check; a check that raises becomes a failed line, never a crash."""
    moment = now or datetime.now(UTC)
    probes: list[tuple[str, Callable[[], Check]]] = [
        ("config", lambda: check_config(services)),
        ("schema", lambda: check_schema(services)),
        ("secrets", lambda: check_secrets(services)),
        ("tiktok", lambda: check_tiktok(services, moment)),
        ("daemon", lambda: check_daemon(services, moment)),
        ("printer", lambda: check_printer(services)),
    ]
    results = []
    for name, probe in probes:
        try:
            results.append(probe())
        except CreatorflowError as exc:
            results.append(Check(name, "fail", exc.message, exc.hint))
    return results


def check_config(services: Services) -> Check:
    """The configuration file parses and every value is valid."""
    path = services.paths.config_file
    settings = services.settings  # raises ConfigError with file and line
    changed = sum(1 for s in settings if s.source != "default")
    if not path.exists():
        return Check("config", "warn", f"no {path}; defaults in use", "Run `creatorflow init`.")
    return Check("config", "ok", f"{path} ({changed} keys set)")


def check_schema(services: Services) -> Check:
    """The database opens and its schema matches this version."""
    from creatorflow.services.database import database_state

    db = database_state(services)
    if db.state == "current":
        return Check("schema", "ok", f"{db.url} at revision {db.current}")
    if db.state == "ahead":
        return Check(
            "schema",
            "fail",
            f"{db.url} is at {db.current}, newer than this CreatorFlow ({db.head})",
            "Upgrade CreatorFlow: pip install -U creatorflow (or pipx upgrade creatorflow).",
        )
    found = "empty" if db.current is None else f"at {db.current}"
    return Check(
        "schema",
        "fail",
        f"{db.url} is {found}; this version needs {db.head}",
        "Run `creatorflow db upgrade` (or `creatorflow init` on a new machine).",
    )


def check_secrets(services: Services) -> Check:
    """Some backend can store secrets, and it is not a plain-text file without warning."""
    store = services.secrets
    infos = store.backends()
    target = next((b for b in infos if b.available and b.writable), None)
    readable = ", ".join(b.name for b in infos if b.available)
    if target is None:
        return Check(
            "secrets",
            "warn",
            f"no writable backend (reading from: {readable or 'nothing'})",
            "Set CREATORFLOW_SECRET_<NAME> variables, use systemd credentials, or allow the "
            "0600 file: `creatorflow config set secrets.allow_file true`.",
        )
    if target.name.startswith("file"):
        return Check("secrets", "warn", f"stored in {target.name}", target.detail)
    return Check("secrets", "ok", f"stored in {target.name}")


#: An authorization ending sooner than this is a warning: the seller must re-authorize.
AUTHORIZATION_WARNING = timedelta(days=30)


def check_tiktok(services: Services, now: datetime) -> Check:
    """A shop is connected, its authorization is not ending, and the last sync worked."""
    from sqlalchemy import select

    from creatorflow.store.shops import active_shops, all_shops
    from creatorflow.store.tables import SyncCursor

    reconnect = "Run `creatorflow connect tiktok`."
    try:
        with services.store.read() as session:
            shops, active = all_shops(session), active_shops(session)
            cursors = session.scalars(
                select(SyncCursor).where(SyncCursor.resource == "orders")
            ).all()
    except SchemaMismatchError:
        return Check("tiktok", "warn", "unknown until the database schema is current")
    if not shops:
        return Check("tiktok", "warn", "not connected", reconnect)
    if not active:
        return Check("tiktok", "fail", "the seller revoked CreatorFlow's authorization", reconnect)
    ends = min(
        (s.refresh_token_expires_at for s in active if s.refresh_token_expires_at), default=None
    )
    failed = [c for c in cursors if c.last_error]
    if failed:
        return Check("tiktok", "warn", f"last order sync failed: {failed[0].last_error}")
    if ends is not None and ends - now < AUTHORIZATION_WARNING:
        when = ends.astimezone().strftime("%Y-%m-%d")
        return Check("tiktok", "warn", f"the shop's authorization ends on {when}", reconnect)
    synced = max((c.last_success_at for c in cursors if c.last_success_at), default=None)
    last = f"; orders synced {synced.astimezone():%Y-%m-%d %H:%M}" if synced else "; never synced"
    return Check("tiktok", "ok", f"{len(active)} shop(s) connected{last}")


def check_daemon(services: Services, now: datetime) -> Check:
    """The daemon has beaten its heart recently."""
    from creatorflow.store.heartbeats import latest_heartbeat

    try:
        beat = latest_heartbeat(services.store)
    except SchemaMismatchError:
        return Check("daemon", "warn", "unknown until the database schema is current")
    if beat is None:
        return Check("daemon", "warn", "not running (no heartbeat recorded on this database)")
    age = now - beat.beat_at
    where = f"{beat.station} pid {beat.pid}"
    if age > HEARTBEAT_STALE:
        return Check(
            "daemon",
            "warn",
            f"last heartbeat {int(age.total_seconds())} s ago ({where})",
            "The daemon looks stopped: check its logs.",
        )
    return Check("daemon", "ok", f"running ({where}, {int(age.total_seconds())} s ago)")


def check_printer(services: Services) -> Check:
    """The configured printer (or label folder) can take a job."""
    settings = services.settings
    kind = settings.text("printer.kind")
    if kind == "none":
        return Check("printer", "warn", "printing is off", "Set printer.kind to print labels.")
    if kind == "folder":
        folder = Path(settings.text("printer.folder") or services.paths.data_dir / "labels")
        return _check_folder(folder)
    if kind == "cups":
        return _check_cups(settings.text("printer.name"))
    return _check_raw(settings.text("printer.host"), settings.integer("printer.port"))


def _check_folder(folder: Path) -> Check:
    probe = folder if folder.exists() else next(p for p in folder.parents if p.exists())
    if os.access(probe, os.W_OK):
        return Check("printer", "ok", f"labels are saved in {folder}")
    return Check("printer", "fail", f"{folder} is not writable", "Choose another printer.folder.")


def _check_cups(queue: str) -> Check:
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return Check("printer", "fail", "CUPS is not installed (no lpstat)", "Install cups-client.")
    args = [lpstat, "-p", queue] if queue else [lpstat, "-d"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    out = (done.stdout or done.stderr).strip().splitlines()
    first = out[0] if out else "no answer"
    if done.returncode != 0 or "no system default" in first:
        return Check("printer", "fail", f"CUPS: {first}", "Check the queue with `lpstat -p`.")
    return Check("printer", "ok", f"CUPS: {first}")


def _check_raw(host: str, port: int) -> Check:
    if not host:
        return Check("printer", "fail", "printer.host is empty", "Set the printer's address.")
    try:
        with socket.create_connection((host, port), timeout=3):
            pass
    except OSError as exc:
        return Check(
            "printer",
            "fail",
            f"{host}:{port} does not answer ({exc.strerror or exc})",
            "Is the printer on and on this network?",
        )
    return Check("printer", "ok", f"{host}:{port} accepts connections")
