"""The label files the simulator serves: a 4x6 PDF, ZPL II and a small PNG."""

from __future__ import annotations

import struct
import zlib


def pdf_label(title: str, tracking_code: str) -> bytes:
    """A small, valid one-page 4x6 in PDF (288x432 pt) showing `title` and the code (ASCII)."""
    lines = [title, tracking_code]
    parts = []
    for n, line in enumerate(lines):
        text = line.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
        text = text.replace(b"\\", b"/")
        parts.append(
            b"BT /F1 14 Tf 24 " + str(380 - 30 * n).encode() + b" Td (" + text + b") Tj ET"
        )
    stream = b"\n".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


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
