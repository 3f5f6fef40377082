"""Hypothesis strategies for hostile input: text that tricks terminals, parsers and file systems,
money that is not money, and JSON of any shape."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

#: Characters that have fooled someone somewhere: bidirectional overrides and isolates, zero
#: width joiners, a byte-order mark, NUL and other controls, combining marks, scripts written
#: right to left, astral-plane characters, path separators, quotes and format strings.
TRICKY = (
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2069",  # POP DIRECTIONAL ISOLATE
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u200b",  # ZERO WIDTH SPACE
    "\u200d",  # ZERO WIDTH JOINER
    "\ufeff",  # BYTE ORDER MARK
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\t",
    "\u0301\u0301\u0301",  # combining marks piled up
    "שלום",
    "مرحبا",
    "Ωmega",
    "\U0001d54f",  # MATHEMATICAL DOUBLE-STRUCK CAPITAL X
    "\U0001f4e6",  # PACKAGE
    "\uffff",
    "../",
    "..\\",
    "/etc/passwd",
    "C:\\",
    "'; DROP TABLE orders; --",
    '"',
    "%s%n{0}",
    "<script>",
    "CON",
)

#: Valid UTF-8 text (no lone surrogates: JSON encoders refuse those before we could send them).
plain_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
tricky_text = st.lists(st.one_of(st.sampled_from(TRICKY), plain_text), min_size=1, max_size=6).map(
    "".join
)
huge_text = st.integers(min_value=4000, max_value=70_000).map(lambda n: "\u202e" * n)
hostile_text = st.one_of(plain_text, tricky_text, huge_text)

#: Money strings TikTok would never send: negative, huge, too precise, not numbers at all.
hostile_amount = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "-0.01",
            "-99999999999",
            "99999999999.9999",
            "100000000000",
            "1e999",
            "-1e-999",
            "NaN",
            "sNaN",
            "Infinity",
            "0.00001",
            "",
            " 5",
            "5,00",
            "1_000",
            "\u0665",  # ARABIC-INDIC DIGIT FIVE: Decimal() reads it as 5
            "\u202e5.00",
            "0x10",
        ]
    ),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
#: Any JSON value at all, nested a little.
any_json: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(plain_text, children, max_size=4),
    ),
    max_leaves=12,
)
