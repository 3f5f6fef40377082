"""One printable file from many labels: PDFs merged onto 4x6 pages, ZPL concatenated.

A label run prints as one job: :func:`merge_labels` puts every page of every PDF label on its
own 4x6 inch page (288 x 432 points), scaling each page to fit and centring it — vector content
stays vector, nothing is rasterised. A landscape page goes onto a portrait sheet turned a
quarter (and the other way round) so that it prints as large as it can. :func:`concat_zpl`
joins ZPL labels for a thermal printer. :func:`write_label_pdf` and :func:`write_label_zpl`
write the result atomically (owner-only), so a printer folder never sees half a file.

``pypdf`` is imported inside the functions: importing this module costs nothing at start-up.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from creatorflow.fileio import write_atomically

if TYPE_CHECKING:
    from pypdf import PageObject, Transformation

__all__ = [
    "LABEL_4X6",
    "concat_zpl",
    "merge_labels",
    "write_label_pdf",
    "write_label_zpl",
]

POINTS_PER_INCH = 72
LABEL_4X6 = (4.0 * POINTS_PER_INCH, 6.0 * POINTS_PER_INCH)
"""A 4x6 inch label page in PDF points (width, height)."""

_SIZE_TOLERANCE = 1.0  # points: a page this close to the target is left as it is
_HEADER_WINDOW = 1024  # the PDF header may sit anywhere in the first 1024 bytes


def _is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:_HEADER_WINDOW]


def _looks_like_zpl(data: bytes) -> bool:
    return b"^XA" in data and b"^XZ" in data


def _describe_start(data: bytes) -> str:
    return repr(data[:8]) if data else "nothing (the file is empty)"


def _fit(width: float, height: float, target: tuple[float, float]) -> Transformation:
    """Map a page box at the origin onto the target page: turned if need be, scaled, centred."""
    from pypdf import Transformation

    target_width, target_height = target
    transform = Transformation()
    turn = width != height and (width > height) != (target_width > target_height)
    if turn:
        # rotate(90) maps x into [-height, 0]; shift it back onto the page.
        transform = transform.rotate(90).translate(height, 0)
        width, height = height, width
    scale = min(target_width / width, target_height / height)
    return transform.scale(scale, scale).translate(
        (target_width - width * scale) / 2, (target_height - height * scale) / 2
    )


def _pages(data: bytes, number: int) -> list[PageObject]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not _is_pdf(data):
        raise ValueError(
            f"label file {number} is not a PDF: it starts with {_describe_start(data)}"
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError(f"label file {number} is a password-protected PDF")
        pages = list(reader.pages)
    except (PyPdfError, KeyError, TypeError, AttributeError, NotImplementedError) as exc:
        raise ValueError(f"label file {number} is a damaged PDF: {exc}") from exc
    if not pages:
        raise ValueError(f"label file {number} is a PDF without pages")
    return pages


def merge_labels(files: Sequence[bytes], *, page_size: tuple[float, float] = LABEL_4X6) -> bytes:
    """One PDF holding every page of ``files``, in order, each on a ``page_size`` page.

    Args:
        files: PDF label files (bytes), one or more pages each.
        page_size: (width, height) of the output pages in points; 4x6 inches by default.

    Returns:
        The merged PDF. A page already of ``page_size`` (within a point) is copied as it is;
        any other is scaled to fit, centred, and turned a quarter when its orientation is
        the other one.

    Raises:
        ValueError: no files, a file that is not a PDF (ZPL, PNG, empty, …), a damaged or
            password-protected PDF, one without pages, or a page size that is not positive.
    """
    from pypdf import PdfWriter, Transformation

    target_width, target_height = (float(side) for side in page_size)
    if not (target_width > 0 and target_height > 0):
        raise ValueError(f"page size must be positive, not {page_size!r}")
    if not files:
        raise ValueError("there are no label files to merge")
    writer = PdfWriter()
    for number, data in enumerate(files, start=1):
        for page in _pages(bytes(data), number):
            box = page.cropbox
            left, bottom = float(box.left), float(box.bottom)
            width, height = float(box.width), float(box.height)
            if width <= 0 or height <= 0:
                raise ValueError(f"label file {number} has a page without a size")
            turn = page.rotation % 360
            if (
                turn == 0
                and abs(width - target_width) <= _SIZE_TOLERANCE
                and abs(height - target_height) <= _SIZE_TOLERANCE
            ):
                writer.add_page(page)
                continue
            # Show the page as a viewer would (``/Rotate`` turns clockwise), from the origin.
            upright = Transformation().translate(-left, -bottom).rotate(-turn)
            corners = [
                upright.apply_on((x, y))
                for x in (left, left + width)
                for y in (bottom, bottom + height)
            ]
            low_x, low_y = min(x for x, _ in corners), min(y for _, y in corners)
            shown_width = max(x for x, _ in corners) - low_x
            shown_height = max(y for _, y in corners) - low_y
            fitted = upright.translate(-low_x, -low_y).transform(
                _fit(shown_width, shown_height, (target_width, target_height))
            )
            sheet = writer.add_blank_page(target_width, target_height)
            sheet.merge_transformed_page(page, fitted)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def concat_zpl(files: Sequence[bytes]) -> bytes:
    """ZPL label files joined into one print job, each ending in a newline.

    Raises:
        ValueError: no files, or a file that is not ZPL (a PDF, or no ``^XA``…``^XZ``).
    """
    if not files:
        raise ValueError("there are no label files to join")
    parts: list[bytes] = []
    for number, data in enumerate(files, start=1):
        if _is_pdf(data):
            raise ValueError(f"label file {number} is a PDF, not ZPL")
        if not _looks_like_zpl(data):
            raise ValueError(
                f"label file {number} is not ZPL (no ^XA…^XZ): it starts with "
                f"{_describe_start(data)}"
            )
        parts.append(bytes(data) if data.endswith(b"\n") else bytes(data) + b"\n")
    return b"".join(parts)


def write_label_pdf(
    files: Sequence[bytes], path: Path, *, page_size: tuple[float, float] = LABEL_4X6
) -> None:
    """Merge PDF labels (:func:`merge_labels`) and write them to ``path`` atomically.

    Raises:
        ValueError: as :func:`merge_labels` (nothing is written then). OSError: as
            :func:`creatorflow.fileio.write_atomically`.
    """
    write_atomically(path, merge_labels(files, page_size=page_size))


def write_label_zpl(files: Sequence[bytes], path: Path) -> None:
    """Join ZPL labels (:func:`concat_zpl`) and write them to ``path`` atomically.

    Raises:
        ValueError: as :func:`concat_zpl` (nothing is written then). OSError: as
            :func:`creatorflow.fileio.write_atomically`.
    """
    write_atomically(path, concat_zpl(files))
