"""Durable file writes: the config file, the opt-in secrets file, label files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: str | bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``content`` so a crash leaves the old or the new file, never half.

    Text is written as UTF-8, exactly (no newline translation).

    The temporary file is created owner-only in the same folder (so the value is never
    readable by others, not even briefly), fsynced, renamed over ``path``, and the folder is
    fsynced so the rename itself survives a power cut.

    Raises:
        OSError: the folder is not writable or the disk is full.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_folder(folder)


def fsync_folder(folder: Path) -> None:
    """Make the renames into ``folder`` survive a power cut (POSIX; Windows cannot open a
    folder, and its renames are journaled by NTFS)."""
    if os.name == "posix":
        folder_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
