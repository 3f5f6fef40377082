"""Packing slips, pick lists and labels interleaved with slips, read back with pypdf."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from creatorflow.documents.code128 import code128_modules, code128_values
from creatorflow.documents.packing import (
    LETTER,
    SLIP_4X6,
    PickItem,
    SlipLine,
    SlipOrder,
    interleave,
    packing_slip,
    packing_slips,
    pick_list,
    sum_pick_items,
)

WHEN = datetime(2025, 1, 2, 9, 30)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def order(order_id: str, *lines: SlipLine, **fields: object) -> SlipOrder:
    values: dict[str, object] = {
        "buyer_first_name": "Ana",
        "created_at": WHEN,
        "buyer_message": None,
        "shop_name": "Glow Shop",
        **fields,
    }
    return SlipOrder(order_id, lines=lines, **values)  # type: ignore[arg-type]


SHIRT = SlipLine("TS-RED-M", "Classic T-shirt", "Red / M", 2)
MUG = SlipLine("MUG-01", "Mug", None, 1, is_gift=True)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [
        (float(p.mediabox.width), float(p.mediabox.height))
        for p in PdfReader(io.BytesIO(pdf)).pages
    ]


# --- packing slips ------------------------------------------------------------------------------


def test_one_4x6_page_per_order_with_id_skus_units_and_gift() -> None:
    pdf = packing_slips(
        [
            order("576312345678901234", SHIRT, MUG, buyer_message="Please wrap it, thanks!"),
            order("576399999999999999", SHIRT, buyer_first_name="Bob"),
        ]
    )
    assert page_sizes(pdf) == [(288.0, 432.0), (288.0, 432.0)]
    first, second = pages_text(pdf)
    for expected in (
        "576312345678901234",
        "Ana",
        "TS-RED-M",
        "Classic T-shirt",
        "Red / M",
        "2 x",
        "MUG-01",
        "1 x",
        "GIFT",
        "Total: 3 units",
        "Please wrap it, thanks!",
        "Glow Shop",
    ):
        assert expected in first, expected
    assert "576399999999999999" in second
    assert "Bob" in second
    assert "GIFT" not in second
    assert "Total: 2 units" in second


def test_slip_draws_a_code128_barcode() -> None:
    reader = PdfReader(io.BytesIO(packing_slip(order("576312345678901234", SHIRT))))
    content = reader.pages[0].get_contents()
    assert content is not None
    bars = content.get_data().count(b" re f")
    assert bars == sum(1 for i, _ in enumerate(code128_modules("576312345678901234")) if i % 2 == 0)


def test_same_sku_lines_are_summed_on_the_slip() -> None:
    one = SlipLine("TS-RED-M", "Classic T-shirt", "Red / M", 1)
    [text] = pages_text(packing_slip(order("5763", one, one, one)))
    assert "3 x" in text
    assert text.count("TS-RED-M") == 1


def test_many_lines_flow_onto_continuation_pages() -> None:
    lines = [SlipLine(f"SKU-{n:03d}", f"Product number {n}", "Blue / XL", 1) for n in range(40)]
    pdf = packing_slips(
        [order("5763", *lines, buyer_message="Thanks " * 200), order("5764", SHIRT)]
    )
    texts = pages_text(pdf)
    assert len(texts) > 3
    assert all(size == (288.0, 432.0) for size in page_sizes(pdf))
    assert "Order 5763 (continued)" in texts[1]
    joined = "\n".join(texts[:-1])
    assert all(f"SKU-{n:03d}" in joined for n in range(40))
    assert "Total: 40 units" in joined
    assert "5764" in texts[-1]
    assert "5763" not in texts[-1]


@pytest.mark.parametrize(
    "name",
    ["José Ñúñez", "王小明", "محمد", "Łukasz Żółć", "Zoë 🎁", "Иван", "\x00\ud800bad", ""],
)
def test_any_name_prints_without_crashing(name: str) -> None:
    line = SlipLine(f"SKU-{name}", f"Gift for {name}", name, 1, is_gift=True)
    pdf = packing_slip(order("5763", line, buyer_first_name=name, buyer_message=name))
    [text] = pages_text(pdf)
    assert "5763" in text


def test_latin1_accents_are_kept_and_other_scripts_replaced() -> None:
    pdf = packing_slip(order("5763", SHIRT, buyer_first_name="José 王", shop_name="Łódź “Store”"))
    [text] = pages_text(pdf)
    assert "José ?" in text
    assert 'Lódz "Store"' in text


@pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVu Sans is not installed")
def test_a_truetype_font_prints_more_scripts() -> None:
    pdf = packing_slip(order("5763", SHIRT, buyer_first_name="Иван 王"), font=DEJAVU)
    [text] = pages_text(pdf)
    assert "Иван ?" in text  # DejaVu has Cyrillic but no CJK


def test_slips_refuse_nothing_and_bad_units() -> None:
    with pytest.raises(ValueError, match="no orders"):
        packing_slips([])
    with pytest.raises(ValueError, match="0 units"):
        packing_slip(order("5763", SlipLine("A", "A", None, 0)))
    with pytest.raises(ValueError, match="positive"):
        packing_slip(order("5763", SHIRT), page_size=(0, 432))


# --- Code 128 -----------------------------------------------------------------------------------


def test_code128_set_c_for_digits() -> None:
    # checksum: 105 + 12 x 1 + 34 x 2 + 56 x 3 = 353, and 353 mod 103 is 44
    assert code128_values("123456") == [105, 12, 34, 56, 44]
    # odd digit count: the last digit goes in set B (value 100 switches, "7" is 23)
    assert code128_values("1234567")[:5] == [105, 12, 34, 56, 100]


def test_code128_mixed_text_and_widths() -> None:
    values = code128_values("AB-12345678")
    assert values[:4] == [104, 33, 34, 13]  # start B, "A", "B", "-"
    assert values[4:9] == [99, 12, 34, 56, 78]  # switch to C for the digit run
    modules = code128_modules("AB-12345678")
    assert sum(modules) == 11 * len(values) + 13
    assert len(modules) % 2 == 1  # starts and ends on a bar
    with pytest.raises(ValueError, match="cannot encode"):
        code128_values("王")
    with pytest.raises(ValueError, match="nothing"):
        code128_values("")


# --- pick lists ---------------------------------------------------------------------------------


def test_pick_items_are_summed_and_walk_ordered() -> None:
    items = [
        PickItem("TS-RED-M", "Classic T-shirt", "Red / M", 1, "B10"),
        PickItem("MUG-01", "Mug", None, 2, None),
        PickItem("TS-RED-M", "Classic T-shirt", "Red / M", 2, "B10"),
        PickItem("TS-RED-M", "Classic T-shirt", "Red / L", 1, "B10"),
        PickItem("CAP", "Cap", None, 1, "B2"),
        PickItem("", "Sticker", None, 1, "A1"),
        PickItem("", "Poster", None, 1, "A1"),
    ]
    summed = sum_pick_items(items)
    assert [(i.location, i.seller_sku or i.product_name, i.sku_name, i.units) for i in summed] == [
        ("A1", "Poster", None, 1),
        ("A1", "Sticker", None, 1),
        ("B2", "CAP", None, 1),
        ("B10", "TS-RED-M", "Red / L", 1),
        ("B10", "TS-RED-M", "Red / M", 3),
        (None, "MUG-01", None, 2),
    ]


def test_pick_list_pdf_sums_units_across_orders() -> None:
    items = [PickItem("TS-RED-M", "Classic T-shirt", "Red / M", 1, "B10") for _ in range(5)]
    items += [PickItem("MUG-01", "Mug", None, 2, "A1"), PickItem("MUG-01", "Mug", None, 1, "A1")]
    pdf = pick_list(items, title="Pick list 2025-01-02 (6 orders)")
    assert page_sizes(pdf) == [LETTER]
    [text] = pages_text(pdf)
    assert "Pick list 2025-01-02 (6 orders)" in text
    assert text.index("MUG-01") < text.index("TS-RED-M")
    assert "Total: 8 units of 2 SKUs" in text
    assert text.count("TS-RED-M") == 1


def test_long_pick_list_repeats_its_heading() -> None:
    items = [PickItem(f"SKU-{n:03d}", f"Product {n}", None, 1, f"A{n}") for n in range(120)]
    texts = pages_text(pick_list(items, title="Big batch"))
    assert len(texts) > 1
    assert all("Location" in text for text in texts)
    assert "Total: 120 units of 120 SKUs" in texts[-1]


def test_pick_list_on_4x6_and_refusals() -> None:
    pdf = pick_list([PickItem("王", "名", "変", 1, "架")], title="4x6", page_size=SLIP_4X6)
    assert page_sizes(pdf) == [(288.0, 432.0)]
    with pytest.raises(ValueError, match="nothing to pick"):
        pick_list([], title="x")
    with pytest.raises(ValueError, match="-1 units"):
        sum_pick_items([PickItem("A", "A", None, -1)])


# --- interleave ---------------------------------------------------------------------------------


def label(mark: str, pages: int = 1) -> bytes:
    """A 4x6 label PDF whose pages say ``LABEL <mark>/<n>``."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(288, 432))
    pdf.set_font("helvetica", size=20)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(200, 30, f"LABEL {mark}/{n}")
    return bytes(pdf.output())


def test_interleave_puts_each_slip_after_its_label() -> None:
    labels = [label("one", pages=2), label("two")]
    slips = [packing_slip(order("5761", SHIRT)), packing_slip(order("5762", MUG))]
    pdf = interleave(labels, slips)
    texts = pages_text(pdf)
    assert len(texts) == 5
    assert "LABEL one/1" in texts[0]
    assert "LABEL one/2" in texts[1]
    assert "Order 5761" in texts[2]
    assert "LABEL two/1" in texts[3]
    assert "Order 5762" in texts[4]
    assert page_sizes(pdf) == [(288.0, 432.0)] * 5


def test_interleave_order_of_three() -> None:
    labels = [label(str(n)) for n in range(3)]
    slips = [packing_slip(order(f"576{n}", SHIRT)) for n in range(3)]
    texts = pages_text(interleave(labels, slips))
    kinds = [
        f"L{t.split('LABEL ')[1][0]}" if "LABEL" in t else f"S{t.split('Order 576')[1][0]}"
        for t in texts
    ]
    assert kinds == ["L0", "S0", "L1", "S1", "L2", "S2"]


def test_interleave_refusals_name_the_order() -> None:
    with pytest.raises(ValueError, match="2 labels but 1 packing slips"):
        interleave([label("a"), label("b")], [packing_slip(order("1", SHIRT))])
    with pytest.raises(ValueError, match="no labels"):
        interleave([], [])
    with pytest.raises(ValueError, match="the packing slip of order 2 is not a PDF"):
        interleave([label("a"), label("b")], [packing_slip(order("1", SHIRT)), b"^XA^XZ"])


def test_importing_the_documents_costs_nothing() -> None:
    code = (
        "import sys, creatorflow.documents.packing, creatorflow.integrations.printing;"
        "print(sorted({'fpdf', 'pypdf', 'PIL', 'fontTools'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
