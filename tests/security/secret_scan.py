"""Looking for secrets in files and output: raw bytes, and the compressed streams inside PDFs
(a label or packing slip could carry a value where a plain ``grep`` would not see it)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from creatorflow.sandbox.world import EASYPOST_KEY, SHIPPO_KEY, TIKTOK_APP_SECRET

#: The fake keys every sandbox and the demo use (``sandbox/world.py``): secrets all the same.
SANDBOX_SECRETS = (TIKTOK_APP_SECRET, SHIPPO_KEY, EASYPOST_KEY)
#: Tokens the TikTok simulator issues: access and refresh tokens (``TTP_`` + 60 or 86
#: characters) and single-use auth codes (``ROW_`` + 40; a shop cipher is ``ROW_`` + 32).
TOKEN_PATTERNS = (
    re.compile(rb"TTP_[A-Za-z0-9_-]{40,}"),
    re.compile(rb"ROW_[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])"),
)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def readable_forms(data: bytes) -> Iterator[bytes]:
    """``data`` itself, and every zlib stream in it that inflates (PDF content)."""
    yield data
    if b"stream" not in data:
        return
    for match in _STREAM.finditer(data):
        try:
            yield zlib.decompress(match.group(1))
        except zlib.error:
            continue


def leaks(sources: Iterable[tuple[str, bytes]], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """``(source, what)`` for every secret value or token found in the sources."""
    needles = [(value, value.encode()) for value in secrets if value]
    found: list[tuple[str, str]] = []
    for name, data in sources:
        for form in readable_forms(data):
            for value, needle in needles:
                if needle in form:
                    found.append((name, f"secret {value[:6]}…"))
            for pattern in TOKEN_PATTERNS:
                match = pattern.search(form)
                if match is not None:
                    found.append((name, f"token {match.group()[:8].decode()}…"))
    return found


def files_under(root: Path, *, skip: Iterable[Path] = ()) -> Iterator[tuple[str, bytes]]:
    """Every regular file below ``root`` (skipping ``skip``), as ``(relative path, bytes)``."""
    skipped = {path.resolve() for path in skip}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.resolve() not in skipped:
            yield str(path.relative_to(root)), path.read_bytes()
