"""Label sheets: PDFs merged onto 4x6 pages, ZPL joined, files written atomically."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from creatorflow.documents.labels import (
    LABEL_4X6,
    concat_zpl,
    merge_labels,
    write_label_pdf,
    write_label_zpl,
)
from creatorflow.fileio import write_atomically

A6 = (297.64, 419.53)
ZPL_1 = b"^XA^FO50,50^A0N,40,40^FDLabel one^FS^XZ"
ZPL_2 = b"^XA^FO50,50^A0N,40,40^FDLabel two^FS^XZ\n"


def make_pdf(*sizes: tuple[float, float], mark: str = "7 7 m 70 70 l S", rotate: int = 0) -> bytes:
    """A PDF with one page per size, each drawing a line (vector content) named by ``mark``."""
    writer = PdfWriter()
    for width, height in sizes:
        page = writer.add_blank_page(width, height)
        stream = DecodedStreamObject()
        stream.set_data(mark.encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        if rotate:
            page.rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pages_of(data: bytes) -> list[tuple[float, float, bytes]]:
    """Each page's size and its content stream, operators separated by single spaces."""
    reader = PdfReader(io.BytesIO(data))
    out = []
    for page in reader.pages:
        contents = page.get_contents()
        assert contents is not None
        ops = b" ".join(contents.get_data().split())  # pypdf puts one operator per line
        out.append((float(page.mediabox.width), float(page.mediabox.height), ops))
    return out


def cm_of(content: bytes) -> list[float]:
    """The numbers of the first ``cm`` operator of a content stream."""
    assert b" cm " in content
    return [float(n) for n in content.split(b" cm ", 1)[0].split()[-6:]]


def test_two_4x6_labels_become_two_pages() -> None:
    merged = merge_labels([make_pdf(LABEL_4X6, mark="1 1 m 2 2 l S"), make_pdf(LABEL_4X6)])

    pages = pages_of(merged)
    assert [(w, h) for w, h, _ in pages] == [(288, 432), (288, 432)]
    assert b"1 1 m 2 2 l S" in pages[0][2]
    assert b"7 7 m 70 70 l S" in pages[1][2]
    assert merged.startswith(b"%PDF-")


def test_an_a6_page_is_scaled_to_fit_and_centred() -> None:
    (width, height, content), *_ = pages_of(merge_labels([make_pdf(A6)]))

    assert (width, height) == (288, 432)
    assert b"7 7 m 70 70 l S" in content  # still vector, not an image
    assert b"0.0 0.0 297.64 419.53 re W n" in content  # clipped to the label's own box
    a, b, c, d, e, f = cm_of(content)
    scale = 288 / A6[0]
    assert a == pytest.approx(scale, abs=1e-4)
    assert d == pytest.approx(scale, abs=1e-4)
    assert (b, c, e) == (pytest.approx(0), pytest.approx(0), pytest.approx(0, abs=1e-4))
    assert f == pytest.approx((432 - A6[1] * scale) / 2, abs=1e-3)


def test_a_landscape_page_is_turned_onto_the_portrait_sheet() -> None:
    (width, height, content), *_ = pages_of(merge_labels([make_pdf((432, 288))]))

    assert (width, height) == (288, 432)
    a, b, c, d, e, f = cm_of(content)
    # A quarter turn at full size: (x, y) -> (288 - y, x).
    assert (a, b, c, d) == (
        pytest.approx(0, abs=1e-6),
        pytest.approx(1),
        pytest.approx(-1),
        pytest.approx(0, abs=1e-6),
    )
    assert (e, f) == (pytest.approx(288), pytest.approx(0, abs=1e-6))


def test_a_rotated_4x6_page_keeps_its_look() -> None:
    # A 6x4 page shown turned a quarter is a portrait 4x6 label as printed.
    (width, height, content), *_ = pages_of(merge_labels([make_pdf((432, 288), rotate=90)]))
    assert (width, height) == (288, 432)
    # Turned a quarter clockwise, as the viewer showed it: (x, y) -> (y, 432 - x).
    a, b, c, d, e, f = cm_of(content)
    assert (a, b, c, d) == (
        pytest.approx(0, abs=1e-6),
        pytest.approx(-1),
        pytest.approx(1),
        pytest.approx(0, abs=1e-6),
    )
    assert (e, f) == (pytest.approx(0, abs=1e-6), pytest.approx(432))


def test_a_4x6_page_off_the_origin_is_kept_as_it_is() -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(288, 432)
    page.mediabox.lower_left = (100, 100)
    page.mediabox.upper_right = (388, 532)
    out = io.BytesIO()
    writer.write(out)

    merged = PdfReader(io.BytesIO(merge_labels([out.getvalue()])))
    assert [float(v) for v in merged.pages[0].mediabox] == [100, 100, 388, 532]


def test_every_page_of_every_file_in_order() -> None:
    merged = merge_labels(
        [make_pdf(LABEL_4X6, A6, mark="1 1 m 2 2 l S"), make_pdf((612, 792), mark="3 3 m 4 4 l S")]
    )
    pages = pages_of(merged)
    assert len(pages) == 3
    assert all((w, h) == (288, 432) for w, h, _ in pages)
    assert b"3 3 m 4 4 l S" in pages[2][2]


def test_other_page_sizes() -> None:
    (width, height, _), *_ = pages_of(merge_labels([make_pdf(A6)], page_size=(200, 300)))
    assert (width, height) == (200, 300)
    with pytest.raises(ValueError, match="positive"):
        merge_labels([make_pdf(A6)], page_size=(0, 300))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ZPL_1, r"label file 2 is not a PDF: it starts with b'\^XA"),
        (b"", "not a PDF: it starts with nothing"),
        (b"\x89PNG\r\n\x1a\n....", "not a PDF"),
        (b"%PDF-1.4\nthis is not really a PDF\n", "label file 2 is a damaged PDF"),
    ],
)
def test_refuses_what_is_not_a_pdf(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        merge_labels([make_pdf(LABEL_4X6), data])


def test_refuses_nothing_to_merge() -> None:
    with pytest.raises(ValueError, match="no label files"):
        merge_labels([])


def test_zpl_labels_are_joined() -> None:
    assert concat_zpl([ZPL_1, ZPL_2]) == ZPL_1 + b"\n" + ZPL_2


def test_zpl_refuses_pdf_and_garbage() -> None:
    with pytest.raises(ValueError, match="label file 2 is a PDF, not ZPL"):
        concat_zpl([ZPL_1, make_pdf(LABEL_4X6)])
    with pytest.raises(ValueError, match="not ZPL"):
        concat_zpl([b"hello"])
    with pytest.raises(ValueError, match="no label files"):
        concat_zpl([])


def test_write_label_pdf(tmp_path: Path) -> None:
    target = tmp_path / "out" / "labels.pdf"
    write_label_pdf([make_pdf(LABEL_4X6), make_pdf(A6)], target)

    assert len(pages_of(target.read_bytes())) == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["labels.pdf"]


def test_write_label_zpl_replaces_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "labels.zpl"
    target.write_bytes(b"old")
    write_label_zpl([ZPL_1], target)
    assert target.read_bytes() == ZPL_1 + b"\n"


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "labels.pdf"
    target.write_bytes(b"previous run")
    with pytest.raises(ValueError, match="not a PDF"):
        write_label_pdf([ZPL_1], target)
    assert target.read_bytes() == b"previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.pdf"]


def test_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    in_the_way = tmp_path / "labels.pdf"
    in_the_way.mkdir()  # a folder where the file should go: the final rename fails
    with pytest.raises(OSError):
        write_atomically(in_the_way, b"%PDF-1.4\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.pdf"]
    assert in_the_way.is_dir()
    assert not os.listdir(in_the_way)


def test_importing_the_module_does_not_load_pypdf() -> None:
    code = (
        "import sys, creatorflow.documents.labels\n"
        "assert 'pypdf' not in sys.modules, 'pypdf imported at start-up'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
