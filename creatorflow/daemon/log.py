"""The daemon's log: a rotating file in the log folder, one line per event, secrets redacted.

Each line is ``<UTC time> <LEVEL> <logger> <message>``; messages are ``key=value`` pairs where
that helps (``job=buy_labels outcome=ok bought=3``). Secret values known to the secret store,
and anything shaped like a bearer token or an ``access_token``/``api_key`` parameter, are
replaced by ``[redacted]`` before a line is written.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
import time
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "daemon.log"
LOGGER = "creatorflow.daemon"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
REDACTED = "[redacted]"

_SHAPES = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"
    r"|((?:access_token|refresh_token|app_secret|api_key|apikey|secret|password|token|sign)"
    r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]{6,}"
)


class Redactor(logging.Filter):
    """Replaces known secret values and secret-shaped text in every record."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        self.update(values)

    def update(self, values: Iterable[str]) -> None:
        """Replace the set of secret values to hide (longest first)."""
        unique = sorted({v for v in values if v}, key=len, reverse=True)
        with self._lock:
            self._values = tuple(unique)

    def redact(self, text: str) -> str:
        """``text`` with every secret removed."""
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        return _SHAPES.sub(lambda m: (m.group(1) or m.group(2) or "") + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class _OneLine(logging.Formatter):
    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\r", "\\r").replace("\n", " | ")


#: Whose lines go to the file: ours, the clock's, and the webhook receiver's HTTP server.
_LOGGERS = ("creatorflow", "apscheduler", "uvicorn.error")


class _PrivateRotatingFile(RotatingFileHandler):
    """A rotating log whose files are owner-only (order ids and messages pass through it)."""

    def _open(self) -> io.TextIOWrapper:
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


def log_file(log_dir: Path) -> Path:
    """Where the daemon writes its log."""
    return log_dir / LOG_NAME


def setup_logging(log_dir: Path, redactor: Redactor, *, level: int = logging.INFO) -> Path:
    """Send the daemon's (and APScheduler's) log lines to the rotating file; its path."""
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_file(log_dir)
    handler = _PrivateRotatingFile(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(_OneLine("%(asctime)sZ %(levelname)s %(name)s %(message)s"))
    handler.addFilter(redactor)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        # APScheduler's own INFO lines ("Running job…") repeat what our one line per run says.
        logger.setLevel(max(level, logging.WARNING) if name == "apscheduler" else level)
        logger.addHandler(handler)
    return path


def teardown_logging() -> None:
    """Close the file handlers added by :func:`setup_logging` (tests run it in-process)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if isinstance(handler, RotatingFileHandler):
                logger.removeHandler(handler)
                handler.close()
