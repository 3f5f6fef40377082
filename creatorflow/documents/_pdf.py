"""What packing slips and pick lists share: fonts that never fail on a name, a new page.

fpdf2 bundles no Unicode font. By default the built-in Helvetica is used, which covers
Latin-1 (``é``, ``ü``, ``ñ``, ``ß``…): any other character is *replaced* — typographic quotes
and dashes by their ASCII look-alikes, letters with other accents by the base letter
(``ł`` → ``l``, ``ź`` → ``z``), and everything else (CJK, Arabic, emoji) by ``?`` — so no name
can make PDF generation fail. A TrueType font file (DejaVu Sans, Noto Sans CJK…) can be given
to print those scripts; characters that font lacks are still replaced the same way.
Right-to-left scripts are printed unshaped, left to right.

fpdf2 is imported inside the functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

LETTER = (612.0, 792.0)
"""US letter in PDF points."""

_SANS = "helvetica"
_UNICODE_FAMILY = "cfsans"
_ASCII_LOOKALIKES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": ",",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2022": "*",
        "\u2026": "...",
        "\u00a0": " ",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0152": "OE",
        "\u0153": "oe",
        "\u20ac": "EUR",
        "\u2122": "TM",
    }
)


class PdfText:
    """Sets fonts on a document and makes any text printable in them (see the module docs)."""

    def __init__(self, pdf: FPDF, font: Path | None) -> None:
        self.pdf = pdf
        self.family = _SANS
        self._covers: Callable[[str], bool] = _is_latin1
        if font is not None:
            pdf.add_font(_UNICODE_FAMILY, "", str(font))
            pdf.add_font(_UNICODE_FAMILY, "B", str(font))
            self.family = _UNICODE_FAMILY
            cmap: dict[int, str] = pdf.fonts[_UNICODE_FAMILY].cmap  # type: ignore[union-attr]
            self._covers = lambda c: ord(c) in cmap

    def font(self, size: float, *, bold: bool = False) -> None:
        """Use the document's font at ``size`` points, bold or regular."""
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def clean(self, text: str | None) -> str:
        """``text`` with every character the font cannot show replaced (never raises)."""
        out: list[str] = []
        for char in (text or "").translate(_ASCII_LOOKALIKES):
            if char in "\n\t" or unicodedata.category(char).startswith("C"):
                out.append("\n" if char == "\n" else " ")
            elif self._covers(char):
                out.append(char)
            else:
                base = "".join(
                    c
                    for c in unicodedata.normalize("NFKD", char)
                    if not unicodedata.combining(c) and self._covers(c)
                )
                out.append(base or "?")
        return "".join(out)


def _is_latin1(char: str) -> bool:
    return ord(char) < 0x100


def new_pdf(page_size: tuple[float, float], margin: float) -> FPDF:
    """An empty fpdf2 document measured in points, with ``page_size`` pages and even margins.

    Raises:
        ValueError: a page side that is not positive.
    """
    from fpdf import FPDF

    width, height = (float(side) for side in page_size)
    if not (width > 0 and height > 0):
        raise ValueError(f"page size must be positive, not {page_size!r}")
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_margins(margin, margin, margin)
    pdf.set_creator("CreatorFlow")
    return pdf


def pdf_bytes(pdf: FPDF) -> bytes:
    """The finished document as bytes."""
    return bytes(pdf.output())


_NUMBER_PARTS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key under which ``A2`` comes before ``A10``."""
    return tuple(
        (0, int(part)) if part.isdecimal() else (1, part.casefold())
        for part in _NUMBER_PARTS.split(text)
        if part
    )
