"""Printers: a folder, CUPS ``lp`` (a fake one on PATH), raw TCP 9100 (a fake printer)."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from creatorflow.errors import CreatorflowError
from creatorflow.integrations.printing import (
    CupsPrinter,
    FolderPrinter,
    Printer,
    PrinterError,
    PrintResult,
    RawPrinter,
    parse_printer,
    printer_from_settings,
)

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
ZPL = b"^XA^FO50,50^A0N,40,40^FDOrder 5763\xc3\xa9^FS^XZ\n^XA^FDtwo^FS^XZ"
NOON = datetime(2025, 1, 2, 12, 0, 0, 123456)


class FakeZebra:
    """A raw 9100 printer on loopback that records every byte of every connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.port: int = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            chunks = []
            while chunk := conn.recv(3):  # small reads: the job arrives in pieces
                chunks.append(chunk)
            self.jobs.append(b"".join(chunks))

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def zebra() -> Iterator[FakeZebra]:
    printer = FakeZebra()
    yield printer
    printer.close()


FAKE_LP = """#!{python}
import json, os, sys
data = sys.stdin.buffer.read()
record = {{"argv": sys.argv[1:], "stdin": data.hex()}}
with open(os.environ["FAKE_LP_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
code = int(os.environ.get("FAKE_LP_EXIT", "0"))
if code:
    print("lp: The printer or class does not exist.", file=sys.stderr)
    sys.exit(code)
print("request id is " + os.environ.get("FAKE_LP_QUEUE", "default") + "-7 (1 file(s))")
"""

FAKE_LPSTAT = """#!{python}
import sys
print("printer Zebra is idle.  enabled since Thu 02 Jan 2025")
"""


@pytest.fixture
def fake_cups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding fake ``lp`` and ``lpstat`` that is all of PATH; returns the lp log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in (("lp", FAKE_LP), ("lpstat", FAKE_LPSTAT)):
        path = bin_dir / name
        path.write_text(script.format(python=sys.executable))
        path.chmod(0o755)
    log = tmp_path / "lp.log"
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_LP_LOG", str(log))
    return log


def lp_calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


# --- raw 9100 ---------------------------------------------------------------------------------


def test_raw_printer_receives_the_zpl_byte_exact(zebra: FakeZebra) -> None:
    printer = parse_printer(f"raw:127.0.0.1:{zebra.port}", default_folder=Path("/unused"))
    result = printer.print_raw(ZPL, title="order 5763")
    zebra.close()
    assert zebra.jobs == [ZPL]
    assert result == PrintResult(
        f"raw:127.0.0.1:{zebra.port}", f"127.0.0.1:{zebra.port}", len(ZPL), None
    )
    assert result.bytes_sent == len(ZPL)


def test_raw_printer_refuses_pdfs_without_connecting() -> None:
    printer = RawPrinter("127.0.0.1", 1)
    with pytest.raises(PrinterError, match="cannot print a PDF") as caught:
        printer.print_pdf(PDF, title="label")
    assert "zpl" in (caught.value.hint or "").lower()
    with pytest.raises(PrinterError, match="PDF as a raw job"):
        printer.print_raw(PDF, title="label")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_raw_printer_on_a_closed_port_is_a_printer_error() -> None:
    printer = RawPrinter("127.0.0.1", closed_port(), timeout=2)
    with pytest.raises(PrinterError, match="did not take the job") as caught:
        printer.print_raw(ZPL, title="x")
    assert caught.value.hint
    assert isinstance(caught.value, CreatorflowError)
    with pytest.raises(PrinterError):
        printer.check()


def test_raw_printer_check_says_it_accepts_connections(zebra: FakeZebra) -> None:
    assert (
        RawPrinter("127.0.0.1", zebra.port).check() == f"127.0.0.1:{zebra.port} accepts connections"
    )


def test_an_empty_raw_job_is_refused() -> None:
    with pytest.raises(PrinterError, match="empty"):
        RawPrinter("127.0.0.1", 1).print_raw(b"", title="x")


# --- folder -------------------------------------------------------------------------------------


def test_folder_printer_writes_owner_only_files_and_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "labels"
    printer = FolderPrinter(folder, clock=lambda: NOON)
    first = printer.print_pdf(PDF, title="Order 5763/A: José")
    second = printer.print_pdf(PDF + b"% second", title="Order 5763/A: José")
    zpl = printer.print_raw(ZPL, title="Order 5763/A: José")
    paths = [Path(r.where) for r in (first, second, zpl)]
    assert [p.name for p in paths] == [
        "20250102-120000-123456-Order-5763-A-Jose.pdf",
        "20250102-120000-123456-Order-5763-A-Jose-2.pdf",
        "20250102-120000-123456-Order-5763-A-Jose.zpl",
    ]
    assert paths[0].read_bytes() == PDF
    assert paths[1].read_bytes() == PDF + b"% second"
    assert paths[2].read_bytes() == ZPL
    if os.name == "posix":
        assert {stat.S_IMODE(p.stat().st_mode) for p in paths} == {0o600}
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)  # no debris
    assert first.bytes_sent == len(PDF)
    assert first.job is None
    assert first.printer == f"folder:{folder}"


def test_folder_printer_uses_a_safe_name_for_any_title(tmp_path: Path) -> None:
    result = FolderPrinter(tmp_path, clock=lambda: NOON).print_pdf(PDF, title="../../王 \x00")
    assert Path(result.where).parent == tmp_path
    assert Path(result.where).name == "20250102-120000-123456-print.pdf"


def test_folder_printer_refuses_the_wrong_kind_of_data(tmp_path: Path) -> None:
    printer = FolderPrinter(tmp_path)
    with pytest.raises(PrinterError, match="not a PDF"):
        printer.print_pdf(ZPL, title="x")
    with pytest.raises(PrinterError, match="empty"):
        printer.print_pdf(b"", title="x")
    assert list(tmp_path.iterdir()) == []


def test_folder_printer_check(tmp_path: Path) -> None:
    assert FolderPrinter(tmp_path / "new").check() == f"files are saved in {tmp_path / 'new'}"
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    with pytest.raises(PrinterError, match="not a writable folder"):
        FolderPrinter(blocker / "labels").check()


def test_folder_printer_write_failure_is_a_printer_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    with pytest.raises(PrinterError, match="could not save") as caught:
        FolderPrinter(blocker / "labels").print_pdf(PDF, title="x")
    assert caught.value.hint


# --- CUPS ---------------------------------------------------------------------------------------


def test_cups_pdf_goes_to_lp_with_4x6_options_on_stdin(
    fake_cups: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LP_QUEUE", "Zebra")
    printer = parse_printer("cups:Zebra", default_folder=Path("/unused"))
    result = printer.print_pdf(PDF, title="Labels\n2025-01-02")
    [call] = lp_calls(fake_cups)
    assert call["argv"] == [
        "-d",
        "Zebra",
        "-t",
        "Labels 2025-01-02",
        "-o",
        "media=w288h432",
        "-o",
        "fit-to-page",
        "-",
    ]
    assert bytes.fromhex(str(call["stdin"])) == PDF
    assert result == PrintResult("cups:Zebra", "CUPS queue Zebra", len(PDF), "Zebra-7")


def test_cups_zpl_goes_raw_and_byte_exact(fake_cups: Path) -> None:
    result = CupsPrinter("Zebra").print_raw(ZPL, title="zpl")
    [call] = lp_calls(fake_cups)
    assert call["argv"] == ["-d", "Zebra", "-t", "zpl", "-o", "raw", "-"]
    assert bytes.fromhex(str(call["stdin"])) == ZPL
    assert result.job == "default-7"


def test_cups_default_queue_and_other_media(fake_cups: Path) -> None:
    printer = parse_printer("cups:", default_folder=Path("/unused"))
    printer.print_pdf(PDF, title="slips", media="letter")
    printer.print_pdf(PDF, title="slips", media="Custom.4x6in")
    first, second = lp_calls(fake_cups)
    assert first["argv"] == ["-t", "slips", "-o", "media=Letter", "-o", "fit-to-page", "-"]
    assert "media=Custom.4x6in" in second["argv"]  # type: ignore[operator]


def test_cups_lp_failure_is_a_printer_error(
    fake_cups: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LP_EXIT", "1")
    with pytest.raises(PrinterError, match="printer or class does not exist") as caught:
        CupsPrinter("Nope").print_pdf(PDF, title="x")
    assert "lpstat -p Nope" in (caught.value.hint or "")


def test_cups_without_lp_hints_at_cups_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrinterError, match="lp was not found") as caught:
        CupsPrinter("Zebra").print_pdf(PDF, title="x")
    assert "cups-client" in (caught.value.hint or "")
    with pytest.raises(PrinterError, match="no lpstat"):
        CupsPrinter("Zebra").check()


def test_cups_lp_that_hangs_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lp = bin_dir / "lp"
    lp.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(PrinterError, match=r"did not finish within 0\.5 s"):
        CupsPrinter("Zebra", timeout=0.5).print_pdf(PDF, title="x")


def test_cups_check_reads_lpstat(fake_cups: Path) -> None:
    assert CupsPrinter("Zebra").check().startswith("CUPS: printer Zebra is idle")


# --- specs and settings -------------------------------------------------------------------------


def test_parse_printer_kinds(tmp_path: Path) -> None:
    default = tmp_path / "labels"
    folder = parse_printer("", default_folder=default)
    assert isinstance(folder, FolderPrinter)
    assert folder.folder == default
    assert isinstance(parse_printer("folder:", default_folder=default), FolderPrinter)
    other = parse_printer(f"folder:{tmp_path}/x", default_folder=default)
    assert isinstance(other, FolderPrinter)
    assert other.folder == tmp_path / "x"
    raw = parse_printer("raw:10.0.0.7", default_folder=default)
    assert isinstance(raw, RawPrinter)
    assert (raw.host, raw.port, raw.name) == ("10.0.0.7", 9100, "raw:10.0.0.7:9100")
    six = parse_printer("raw:[fe80::1]:6101", default_folder=default)
    assert isinstance(six, RawPrinter)
    assert (six.host, six.port, six.name) == ("fe80::1", 6101, "raw:[fe80::1]:6101")
    cups = parse_printer("CUPS:Zebra_ZD421", default_folder=default)
    assert isinstance(cups, CupsPrinter)
    assert cups.queue == "Zebra_ZD421"
    for printer in (folder, raw, cups):
        assert isinstance(printer, Printer)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lpr:Zebra", "unknown printer"),
        ("Zebra", "unknown printer"),
        ("raw:", "no printer host"),
        ("raw::9100", "no printer host"),
        ("raw:10.0.0.7:0", "bad port"),
        ("raw:10.0.0.7:99999", "bad port"),
        ("raw:10.0.0.7:ninety", "bad port"),
        ("raw:[fe80::1]x", "bad printer address"),
        ("cups:My Printer", "not a CUPS queue name"),
        ("cups:a/b", "not a CUPS queue name"),
    ],
)
def test_parse_printer_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(PrinterError, match=message) as caught:
        parse_printer(spec, default_folder=Path("/unused"))
    assert caught.value.hint


def test_printer_from_settings_keeps_todays_configs(tmp_path: Path) -> None:
    default = tmp_path / "labels"
    assert printer_from_settings("none", "", "", 9100, "", default) is None
    folder = printer_from_settings("folder", "", "", 9100, "", default)
    assert isinstance(folder, FolderPrinter)
    assert folder.folder == default
    custom = printer_from_settings("folder", "", "", 9100, str(tmp_path / "out"), default)
    assert isinstance(custom, FolderPrinter)
    assert custom.folder == tmp_path / "out"
    cups = printer_from_settings("cups", "Zebra", "", 9100, "", default)
    assert isinstance(cups, CupsPrinter)
    assert cups.queue == "Zebra"
    default_queue = printer_from_settings("cups", "", "", 9100, "", default)
    assert isinstance(default_queue, CupsPrinter)
    assert default_queue.queue is None
    raw = printer_from_settings("raw9100", "", "10.0.0.7", 6101, "", default)
    assert isinstance(raw, RawPrinter)
    assert (raw.host, raw.port) == ("10.0.0.7", 6101)
    with pytest.raises(PrinterError, match=r"printer\.host is empty"):
        printer_from_settings("raw9100", "", " ", 9100, "", default)
    with pytest.raises(PrinterError, match=r"unknown printer\.kind"):
        printer_from_settings("laser", "", "", 9100, "", default)
