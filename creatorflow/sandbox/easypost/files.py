"""ZPL II and PNG label files the simulator serves (the PDF: ``creatorflow.sandbox.pdf``)."""

from __future__ import annotations

import struct
import zlib


def zpl_label(title: str, tracking_code: str) -> bytes:
    """A 4x6 in ZPL II label at 203 dpi (812x1218 dots) with a Code 128 barcode."""
    safe = title.encode("ascii", "replace").decode().replace("^", " ").replace("~", " ")
    return (
        "^XA^PW812^LL1218^CI28\n"
        f"^FO40,40^A0N,40,40^FD{safe}^FS\n"
        f"^FO40,140^BY3^BCN,200,Y,N,N^FD{tracking_code}^FS\n"
        "^XZ\n"
    ).encode()


def png_label(width: int = 40, height: int = 60) -> bytes:
    """A blank white 4x6-proportioned grayscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
