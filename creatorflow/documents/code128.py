"""Code 128 barcodes as bar widths, for drawing on packing slips (no dependency).

fpdf2 draws Code 39 and Interleaved 2 of 5 only; a TikTok order id (18 or so digits) is far
more compact in Code 128 set C (two digits per symbol), which a packer's scanner reads from a
4 inch slip. :func:`code128_modules` returns the alternating bar/space widths; the caller
draws the bars.
"""

from __future__ import annotations

__all__ = ["code128_modules", "code128_values"]

# Bar/space widths (in modules) of symbol values 0-105, bar first; each sums to 11.
_PATTERNS = [
    "212222",
    "222122",
    "222221",
    "121223",
    "121322",
    "131222",
    "122213",
    "122312",
    "132212",
    "221213",
    "221312",
    "231212",
    "112232",
    "122132",
    "122231",
    "113222",
    "123122",
    "123221",
    "223211",
    "221132",
    "221231",
    "213212",
    "223112",
    "312131",
    "311222",
    "321122",
    "321221",
    "312212",
    "322112",
    "322211",
    "212123",
    "212321",
    "232121",
    "111323",
    "131123",
    "131321",
    "112313",
    "132113",
    "132311",
    "211313",
    "231113",
    "231311",
    "112133",
    "112331",
    "132131",
    "113123",
    "113321",
    "133121",
    "313121",
    "211331",
    "231131",
    "213113",
    "213311",
    "213131",
    "311123",
    "311321",
    "331121",
    "312113",
    "312311",
    "332111",
    "314111",
    "221411",
    "431111",
    "111224",
    "111422",
    "121124",
    "121421",
    "141122",
    "141221",
    "112214",
    "112412",
    "122114",
    "122411",
    "142112",
    "142211",
    "241211",
    "221114",
    "413111",
    "241112",
    "134111",
    "111242",
    "121142",
    "121241",
    "114212",
    "124112",
    "124211",
    "411212",
    "421112",
    "421211",
    "212141",
    "214121",
    "412121",
    "111143",
    "111341",
    "131141",
    "114113",
    "114311",
    "411113",
    "411311",
    "113141",
    "114131",
    "311141",
    "411131",
    "211412",
    "211214",
    "211232",
]
_STOP = "2331112"  # the stop symbol with its final bar: 13 modules
_START_B, _START_C = 104, 105
_CODE_B, _CODE_C = 100, 99


def code128_values(text: str) -> list[int]:
    """The symbol values (start, data, checksum; no stop) that encode ``text``.

    Runs of four or more digits (or an all-digit text of two or more) use set C, two digits
    a symbol; everything else uses set B.

    Raises:
        ValueError: ``text`` is empty or holds a character outside printable ASCII.
    """
    if not text:
        raise ValueError("nothing to encode")
    bad = [c for c in text if not " " <= c <= "~"]
    if bad:
        raise ValueError(f"Code 128 set B cannot encode {bad[0]!r}")
    values: list[int] = []
    current = 0
    i = 0
    while i < len(text):
        run = _digit_run(text, i)
        use_c = run >= 4 or (run == len(text) >= 2)
        if use_c:
            run -= run % 2
            if not values:
                values.append(_START_C)
            elif current != _START_C:
                values.append(_CODE_C)
            current = _START_C
            values.extend(int(text[j : j + 2]) for j in range(i, i + run, 2))
            i += run
            continue
        if not values:
            values.append(_START_B)
        elif current != _START_B:
            values.append(_CODE_B)
        current = _START_B
        values.append(ord(text[i]) - 32)
        i += 1
    checksum = (values[0] + sum(n * v for n, v in enumerate(values[1:], start=1))) % 103
    return [*values, checksum]


def _digit_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isdigit() and text[end].isascii():
        end += 1
    return end - start


def code128_modules(text: str) -> list[int]:
    """Alternating bar and space widths (in modules) for ``text``, starting and ending on a bar.

    The quiet zones (ten modules of space each side) are the caller's to leave.

    Raises:
        ValueError: as :func:`code128_values`.
    """
    widths = [int(w) for v in code128_values(text) for w in _PATTERNS[v]]
    return widths + [int(w) for w in _STOP]
