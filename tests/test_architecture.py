"""Start-up hygiene: the fast paths of the command line import none of the heavy modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {
    "textual",
    "sqlalchemy",
    "alembic",
    "apscheduler",
    "keyring",
    "httpx",
    "psycopg",
    "shippo",
    "easypost",
    "stripe",
    "pypdf",
    "fpdf",
    "reportlab",
    "uvicorn",
    "starlette",
}


def imported_modules(*args: str, home: Path, check: bool = True) -> set[str]:
    """Top-level packages a ``creatorflow`` run imports, read from ``python -X importtime``."""
    env = {**os.environ, "CREATORFLOW_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "creatorflow", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    if check:
        assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            module = line.rsplit("|", 1)[1].strip()
            names.add(module.split(".")[0])
    assert "creatorflow" in names  # the parse really saw the imports
    return names


@pytest.mark.parametrize(
    "args",
    [("--help",), ("config", "show"), ("config", "get", "labels.format"), ("--version",)],
)
def test_fast_paths_import_nothing_heavy(args: tuple[str, ...], tmp_path: Path) -> None:
    assert imported_modules(*args, home=tmp_path) & HEAVY == set()


def test_the_parse_would_notice_a_heavy_import(tmp_path: Path) -> None:
    """``db current`` opens the database, so SQLAlchemy must show up: the check can fail."""
    assert "sqlalchemy" in imported_modules("db", "current", home=tmp_path, check=False)
