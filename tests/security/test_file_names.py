"""File names built from provider and TikTok data stay inside their folder.

Two places name files after outside data: ``label_records.label_file`` (the saved label of an
order: ``data/labels/<order id>-<generation>.<ext>``) and the ``folder:`` printer (print jobs
titled after an order, a batch or a document kind). Tracking numbers, label ids and provider
URLs never become file names. Whatever the id or title — ``../``, absolute paths, backslashes,
drive letters, NUL, RTL overrides, 10,000 characters, Windows device names — the file is
written directly inside its folder under a portable name, and distinct ids keep distinct files.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creatorflow.config.paths import resolve_paths
from creatorflow.fileio import write_atomically
from creatorflow.integrations.printing import FolderPrinter
from creatorflow.services.context import Services
from creatorflow.services.label_records import label_file
from tests.security.strategies import TRICKY, hostile_text

#: Names Windows reserves for devices, with any extension (``CON.pdf`` is the console too).
RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$")
PORTABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
HOSTILE_IDS = [
    "../../../etc/passwd",
    "..",
    ".",
    "/absolute/path",
    "\\\\server\\share\\x",
    "..\\..\\windows\\system32",
    "C:\\evil",
    "C:evil",
    "a/b",
    "a\x00b",
    "\u202egpj.exe",
    "\u200b",
    "CON",
    "nul",
    "COM1",
    "LPT9",
    "aux.txt",
    "trailing. ",
    "9" * 10_000,
    "",
    " ",
    "\U0001f4e6",
    "-rf",
    "--help",
]
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def services(tmp_path: Path) -> Services:
    environ = {"CREATORFLOW_HOME": str(tmp_path / "home")}
    return Services(paths=resolve_paths(environ), environ=environ)


def _assert_portable(path: Path, folder: Path) -> None:
    assert path.parent == folder, path
    name = path.name
    assert PORTABLE.fullmatch(name), name
    assert not RESERVED.match(name), name
    assert len(name.encode()) <= 255, len(name)


@pytest.mark.parametrize("order_id", HOSTILE_IDS, ids=repr)
def test_a_hostile_order_id_names_a_label_file_inside_the_labels_folder(
    services: Services, order_id: str
) -> None:
    folder = services.paths.data_dir / "labels"
    path = label_file(services, order_id, 1, "pdf")
    _assert_portable(path, folder)
    write_atomically(path, b"%PDF-1.4\n")
    assert [p.name for p in folder.iterdir()] == [path.name]
    assert path.resolve().parent == folder.resolve()


def test_tiktok_order_ids_keep_their_readable_file_names(services: Services) -> None:
    folder = services.paths.data_dir / "labels"
    assert label_file(services, "576461413038785752", 2, "zpl") == folder / (
        "576461413038785752-2.zpl"
    )
    assert label_file(services, "ord_A-1", 1, "pdf").name == "ord_A-1-1.pdf"


@FUZZ
@given(first=hostile_text, second=hostile_text)
def test_distinct_ids_never_share_a_label_file(services: Services, first: str, second: str) -> None:
    folder = services.paths.data_dir / "labels"
    one, two = label_file(services, first, 1, "pdf"), label_file(services, second, 1, "pdf")
    _assert_portable(one, folder)
    _assert_portable(two, folder)
    assert (one == two) == (first == second)


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize("title", [f"Pick list: {i}" for i in HOSTILE_IDS] + list(TRICKY), ids=repr)
def test_a_hostile_print_title_names_a_file_inside_the_print_folder(
    tmp_path: Path, title: str
) -> None:
    folder = tmp_path / "prints"
    printer = FolderPrinter(folder, clock=lambda: datetime(2026, 11, 20, 9, 30).astimezone())
    result = printer.print_pdf(_pdf(), title=title)
    path = Path(result.where)
    _assert_portable(path, folder)
    assert path.read_bytes() == _pdf()
    assert sorted(os.listdir(folder)) == [path.name]  # no staging file left behind


@FUZZ
@given(title=st.one_of(hostile_text, st.text(max_size=300)))
def test_any_print_title_stays_in_the_folder(tmp_path: Path, title: str) -> None:
    folder = tmp_path / "fuzz-prints"
    printer = FolderPrinter(folder)
    path = Path(printer.print_raw(b"^XA^FDx^FS^XZ", title=title).where)
    _assert_portable(path, folder)
    path.unlink()
