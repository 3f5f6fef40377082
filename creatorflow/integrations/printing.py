"""Printers: a CUPS queue (``lp``), a thermal printer on raw TCP 9100, or a folder.

Every printer is named by a URL-like *spec* that :func:`parse_printer` understands:

``folder:PATH`` (``folder:`` alone means the default folder)
    Each job becomes a new file in ``PATH`` — ``20250102-153012-123456-order-A1.pdf`` —
    written atomically and owner-only (0600). An earlier print is never overwritten: a name
    already taken gets a ``-2``, ``-3``… suffix.
``cups:QUEUE`` (``cups:`` alone means the system's default queue)
    ``lp -d QUEUE -t TITLE -o media=w288h432 -o fit-to-page -`` with the PDF on standard input;
    ZPL goes with ``-o raw`` instead. The job id is read from lp's "request id is …" line.
``raw:HOST`` or ``raw:HOST:PORT`` (port 9100 by default; ``raw:[::1]:9100`` for IPv6)
    The ZPL bytes are sent as they are over one TCP connection. PDFs are refused: a thermal
    printer on port 9100 takes ZPL, and would print a PDF as pages of garbage.

:func:`printer_from_settings` maps today's ``printer.kind/name/host/port/folder`` settings onto
the same printers, so existing configuration files keep working.

Nothing here imports anything heavy; ``lp`` and sockets are only touched when a job is sent.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from creatorflow.errors import CreatorflowError, hint_for_os_error
from creatorflow.fileio import fsync_folder, write_atomically

__all__ = [
    "DEFAULT_RAW_PORT",
    "CupsPrinter",
    "FolderPrinter",
    "PrintResult",
    "Printer",
    "PrinterError",
    "RawPrinter",
    "parse_printer",
    "printer_from_settings",
]

DEFAULT_RAW_PORT = 9100
LP_TIMEOUT = 30.0  # seconds for one lp run
RAW_TIMEOUT = 10.0  # seconds to connect to (and send to) a thermal printer

CUPS_MEDIA = {
    "4x6": "w288h432",
    "letter": "Letter",
    "a4": "A4",
    "a6": "A6",
}
"""Our page-size names and the CUPS ``media=`` value each becomes; others pass as they are.

``w288h432`` (288 x 432 points) is the 4x6 spelling most label-printer PPDs use; a queue that
calls it something else (``Custom.4x6in``, ``na_index-4x6_4x6in``) can be given that name
directly as ``media``.
"""

_HEADER_WINDOW = 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_JOB_ID = re.compile(r"request id is (\S+)")
_BAD_QUEUE = re.compile(r"[\s/#\\'\"]")
_MAX_TITLE = 120


class PrinterError(CreatorflowError):
    """A printer spec is wrong, or a printer could not take a job."""

    title = "Printer error"


@dataclass(frozen=True, slots=True)
class PrintResult:
    """What one print job did.

    Attributes:
        printer: the printer's spec (``cups:Zebra``, ``raw:10.0.0.7:9100``, ``folder:/…``).
        where: a person-readable place: the file written, the queue, ``host:port``.
        bytes_sent: how many bytes went to the printer (or into the file).
        job: the CUPS job id (``Zebra-42``) when the printer gives one, else ``None``.
    """

    printer: str
    where: str
    bytes_sent: int
    job: str | None


@runtime_checkable
class Printer(Protocol):
    """Something a PDF or a ZPL job can be sent to."""

    name: str

    def print_pdf(self, data: bytes, *, title: str, media: str = "4x6") -> PrintResult:
        """Print a PDF document on ``media`` (see :data:`CUPS_MEDIA`).

        Raises:
            PrinterError: the data is not a PDF, the printer takes no PDFs, or the job failed.
        """
        ...

    def print_raw(self, data: bytes, *, title: str) -> PrintResult:
        """Send printer-language bytes (ZPL) untouched.

        Raises:
            PrinterError: the data is a PDF, or the job failed.
        """
        ...

    def check(self) -> str:
        """A one-line summary of the printer's readiness.

        Raises:
            PrinterError: the printer cannot take a job now.
        """
        ...


def _is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:_HEADER_WINDOW]


def _require_pdf(data: bytes, printer: str) -> None:
    if not data:
        raise PrinterError(f"nothing to print on {printer}: the document is empty")
    if not _is_pdf(data):
        raise PrinterError(
            f"{printer} was sent a document that is not a PDF (it starts with {data[:8]!r})",
            hint="Send ZPL with print_raw; PDFs start with %PDF-.",
        )


def _require_raw(data: bytes, printer: str) -> None:
    if not data:
        raise PrinterError(f"nothing to print on {printer}: the job is empty")
    if _is_pdf(data):
        raise PrinterError(
            f"{printer} was sent a PDF as a raw job",
            hint="Raw jobs are printer language (ZPL); print PDFs with print_pdf.",
        )


def _clean_title(title: str) -> str:
    """The title with control characters replaced, cut to a length lp and file names bear."""
    cleaned = "".join(" " if unicodedata.category(c).startswith("C") else c for c in title)
    return cleaned.strip()[:_MAX_TITLE] or "CreatorFlow"


def _file_stem(title: str) -> str:
    """An ASCII, file-system-safe version of ``title`` (accents dropped, the rest ``-``)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    stem = _SAFE_NAME.sub("-", ascii_title).strip(".-_")
    return stem[:60].rstrip(".-_") or "print"


class FolderPrinter:
    """Saves each job as a new file in a folder (the default "printer").

    Args:
        folder: where the files go; created (0700) on the first job.
        clock: returns the local time used in file names (tests pass a fixed one).
    """

    def __init__(self, folder: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.folder = folder
        self.name = f"folder:{folder}"
        self._clock = clock or (lambda: datetime.now().astimezone())

    def print_pdf(self, data: bytes, *, title: str, media: str = "4x6") -> PrintResult:
        """Write the PDF to a new ``.pdf`` file (``media`` is not needed for a file)."""
        _require_pdf(data, self.name)
        return self._save(data, title, ".pdf")

    def print_raw(self, data: bytes, *, title: str) -> PrintResult:
        """Write the ZPL to a new ``.zpl`` file."""
        _require_raw(data, self.name)
        return self._save(data, title, ".zpl")

    def check(self) -> str:
        """Says where files go, or raises :class:`PrinterError` when the folder is not writable."""
        probe = next((p for p in (self.folder, *self.folder.parents) if p.exists()), None)
        if probe is None or not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
            raise PrinterError(
                f"{self.folder} is not a writable folder",
                hint="Choose another folder (printer.folder, or folder:PATH).",
            )
        return f"files are saved in {self.folder}"

    def _save(self, data: bytes, title: str, suffix: str) -> PrintResult:
        stem = f"{self._clock().strftime('%Y%m%d-%H%M%S-%f')}-{_file_stem(title)}"
        staging = self.folder / f".{stem}.{uuid.uuid4().hex}.partial"
        try:
            write_atomically(staging, data)
            try:
                target = self._claim(staging, stem, suffix)
            finally:
                staging.unlink(missing_ok=True)
        except OSError as exc:
            raise PrinterError(
                f"could not save the print job in {self.folder}: {exc.strerror or exc}",
                hint=hint_for_os_error(exc, staging),
            ) from exc
        return PrintResult(self.name, str(target), len(data), None)

    def _claim(self, staging: Path, stem: str, suffix: str) -> Path:
        """Give the finished file its first free name, never replacing an existing file."""
        for number in range(1, 10_000):
            target = self.folder / (
                f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}"
            )
            try:
                os.link(staging, target)  # fails if the name is taken: no overwrite, no race
            except FileExistsError:
                continue
            except OSError:
                # A file system without hard links (FAT, some network shares).
                if target.exists():
                    continue
                os.replace(staging, target)
            fsync_folder(self.folder)
            return target
        raise PrinterError(f"too many print files named {stem}{suffix} in {self.folder}")


_LP_HINT = "Install the CUPS client (Debian/Ubuntu: sudo apt install cups-client)."


class CupsPrinter:
    """Prints through CUPS with ``lp``, the job on standard input.

    Args:
        queue: the CUPS queue (``lpstat -p`` lists them); ``None`` for the default queue.
        timeout: seconds one ``lp`` run may take.
    """

    def __init__(self, queue: str | None = None, *, timeout: float = LP_TIMEOUT) -> None:
        self.queue = queue or None
        self.name = f"cups:{queue or ''}"
        self.timeout = timeout

    @property
    def _where(self) -> str:
        return f"CUPS queue {self.queue}" if self.queue else "the default CUPS queue"

    def print_pdf(self, data: bytes, *, title: str, media: str = "4x6") -> PrintResult:
        """``lp -o media=… -o fit-to-page``; ``media`` is ``4x6``, ``letter``… or a CUPS name."""
        _require_pdf(data, self.name)
        size = CUPS_MEDIA.get(media.lower(), media)
        return self._lp(data, title, ["-o", f"media={size}", "-o", "fit-to-page"])

    def print_raw(self, data: bytes, *, title: str) -> PrintResult:
        """``lp -o raw``: the queue passes the bytes to the printer untouched."""
        _require_raw(data, self.name)
        return self._lp(data, title, ["-o", "raw"])

    def check(self) -> str:
        """``lpstat -p QUEUE`` (or ``lpstat -d``): its first line, or :class:`PrinterError`."""
        lpstat = shutil.which("lpstat")
        if lpstat is None:
            raise PrinterError("CUPS is not installed (no lpstat)", hint=_LP_HINT)
        args = [lpstat, "-p", self.queue] if self.queue else [lpstat, "-d"]
        done = self._run(args, None)
        out = (done.stdout or done.stderr).decode(errors="replace").strip().splitlines()
        first = out[0] if out else "no answer"
        if done.returncode != 0 or "no system default" in first:
            raise PrinterError(f"CUPS: {first}", hint="Check the queue with `lpstat -p`.")
        return f"CUPS: {first}"

    def _lp(self, data: bytes, title: str, options: list[str]) -> PrintResult:
        lp = shutil.which("lp")
        if lp is None:
            raise PrinterError("cannot print: the CUPS command lp was not found", hint=_LP_HINT)
        args = [lp]
        if self.queue:
            args += ["-d", self.queue]
        args += ["-t", _clean_title(title), *options, "-"]
        done = self._run(args, data)
        stdout = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            said = (done.stderr or done.stdout).decode(errors="replace").strip()
            first = said.splitlines()[0] if said else f"exit status {done.returncode}"
            raise PrinterError(
                f"lp could not print on {self._where}: {first}",
                hint=f"Check the queue with `lpstat -p {self.queue}`."
                if self.queue
                else "Check the default queue with `lpstat -d`.",
            )
        found = _JOB_ID.search(stdout)
        return PrintResult(self.name, self._where, len(data), found.group(1) if found else None)

    def _run(self, args: list[str], data: bytes | None) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                args,
                input=data,
                stdin=subprocess.DEVNULL if data is None else None,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PrinterError(
                f"{Path(args[0]).name} did not finish within {self.timeout:g} s ({self._where})",
                hint="Is the CUPS service (cupsd) running? Try `lpstat -r`.",
            ) from exc
        except OSError as exc:
            raise PrinterError(
                f"could not run {args[0]}: {exc.strerror or exc}", hint=_LP_HINT
            ) from exc


class RawPrinter:
    """Sends ZPL straight to a network thermal printer ("AppSocket/JetDirect", port 9100).

    There is no spooler and no job id: the job is done when the printer has taken every byte.

    Args:
        host: the printer's address.
        port: its raw port, 9100 unless the printer was set otherwise.
        timeout: seconds to connect, and for each send.
    """

    def __init__(
        self, host: str, port: int = DEFAULT_RAW_PORT, *, timeout: float = RAW_TIMEOUT
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        shown = f"[{host}]" if ":" in host else host
        self._where = f"{shown}:{port}"
        self.name = f"raw:{self._where}"

    def print_pdf(self, data: bytes, *, title: str, media: str = "4x6") -> PrintResult:
        """Always refused: thermal printers on port 9100 take ZPL, not PDF."""
        raise PrinterError(
            f"{self.name} is a raw (ZPL) printer and cannot print a PDF",
            hint="Buy labels as ZPL (labels.format = zpl), or print PDFs through a CUPS queue "
            "(cups:QUEUE).",
        )

    def print_raw(self, data: bytes, *, title: str) -> PrintResult:
        """Connect, send every byte, and close our side so the printer sees the job end."""
        _require_raw(data, self.name)
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as conn:
                conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise self._unreachable(exc) from exc
        return PrintResult(self.name, self._where, len(data), None)

    def check(self) -> str:
        """Opens and closes a connection: "HOST:PORT accepts connections"."""
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout):
                pass
        except OSError as exc:
            raise self._unreachable(exc) from exc
        return f"{self._where} accepts connections"

    def _unreachable(self, exc: OSError) -> PrinterError:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        return PrinterError(
            f"the printer at {self._where} did not take the job ({reason})",
            hint="Is the printer on, on this network, and is its raw port "
            f"{self.port} open? Check the address (printer.host).",
        )


_SPEC_HINT = "Printer specs look like folder:PATH, cups:QUEUE, raw:HOST or raw:HOST:PORT."


def parse_printer(spec: str, *, default_folder: Path) -> Printer:
    """The printer a spec names (see the module docs); ``""`` is the default folder.

    Raises:
        PrinterError: an unknown kind, a bad queue name, host or port.
    """
    text = spec.strip()
    kind, _, rest = text.partition(":")
    kind = kind.lower()
    if kind in ("", "folder"):
        return FolderPrinter(Path(rest).expanduser() if rest.strip() else default_folder)
    if kind == "cups":
        queue = rest.strip()
        if _BAD_QUEUE.search(queue):
            raise PrinterError(
                f"{queue!r} is not a CUPS queue name (no spaces, slashes, quotes or #)",
                hint="`lpstat -p` lists the queues.",
            )
        return CupsPrinter(queue or None)
    if kind in ("raw", "raw9100"):
        host, port = _host_port(rest.strip(), spec)
        return RawPrinter(host, port)
    raise PrinterError(f"unknown printer {spec!r}", hint=_SPEC_HINT)


def _host_port(text: str, spec: str) -> tuple[str, int]:
    if text.startswith("["):  # [IPv6]:port
        host, _, tail = text[1:].partition("]")
        if tail and not tail.startswith(":"):
            raise PrinterError(f"bad printer address in {spec!r}", hint=_SPEC_HINT)
        port_text = tail[1:]
    elif text.count(":") > 1:  # a bare IPv6 address, no port
        host, port_text = text, ""
    else:
        host, _, port_text = text.partition(":")
    if not host or any(c.isspace() for c in host):
        raise PrinterError(f"no printer host in {spec!r}", hint=_SPEC_HINT)
    if not port_text:
        return host, DEFAULT_RAW_PORT
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise PrinterError(
            f"bad port {port_text!r} in {spec!r}: a number from 1 to 65535", hint=_SPEC_HINT
        )
    return host, int(port_text)


def printer_from_settings(
    kind: str, name: str, host: str, port: int, folder: str, default_folder: Path
) -> Printer | None:
    """The printer today's ``printer.*`` settings describe; ``None`` when printing is off.

    Args:
        kind: ``printer.kind`` — ``folder``, ``cups``, ``raw9100`` or ``none``.
        name: ``printer.name``, the CUPS queue (empty: the default queue).
        host: ``printer.host`` and ``port``: ``printer.port``, for ``raw9100``.
        folder: ``printer.folder`` (empty: ``default_folder``).
        default_folder: the data folder's ``labels`` folder, usually.

    Raises:
        PrinterError: an unknown kind, an empty host for ``raw9100``, a bad queue name or port.
    """
    kind = kind.strip().lower()
    if kind == "none":
        return None
    if kind == "folder":
        return parse_printer(f"folder:{folder}", default_folder=default_folder)
    if kind == "cups":
        return parse_printer(f"cups:{name}", default_folder=default_folder)
    if kind == "raw9100":
        if not host.strip():
            raise PrinterError(
                "printer.kind is raw9100 but printer.host is empty",
                hint="Set printer.host to the thermal printer's address.",
            )
        shown = f"[{host.strip()}]" if ":" in host else host.strip()
        return parse_printer(f"raw:{shown}:{port}", default_folder=default_folder)
    raise PrinterError(f"unknown printer.kind {kind!r}", hint="Use folder, cups, raw9100 or none.")
