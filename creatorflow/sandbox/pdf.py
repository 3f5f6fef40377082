"""The small label PDF every simulator serves: one valid 4x6 in page of text lines."""

from __future__ import annotations

from collections.abc import Sequence

#: A 4x6 in page, in points.
WIDTH, HEIGHT = 288, 432


def label_pdf(
    lines: Sequence[str],
    *,
    font_size: int = 14,
    left: int = 24,
    top: int = 380,
    leading: int = 30,
) -> bytes:
    """A small, valid one-page 4x6 in (288x432 pt) PDF showing `lines` in Helvetica.

    The first line's baseline sits at (`left`, `top`); each next one `leading` points lower.
    Text is ASCII: other characters become ``?``, and ``\\``, ``(`` and ``)`` become ``/``,
    ``[`` and ``]`` so no line needs escaping. The text stays readable in the file's bytes.
    """
    parts = [f"BT /F1 {font_size} Tf {left} {top} Td {leading} TL".encode()]
    for line in lines:
        text = line.encode("ascii", "replace")
        text = text.replace(b"\\", b"/").replace(b"(", b"[").replace(b")", b"]")
        parts.append(b"(" + text + b") Tj T*")
    parts.append(b"ET")
    stream = b"\n".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] /Contents 4 0 R ".encode()
        + b"/Resources << /Font << /F1 5 0 R >> >> >>",
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
