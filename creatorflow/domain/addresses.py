"""Addresses as carriers want them: TikTok gives US states by name, carriers want the code."""

from __future__ import annotations

__all__ = ["US_STATES", "us_state_code"]

US_STATES: dict[str, str] = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC",
    "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL",
    "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA",
    "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
    "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK",
    "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
    "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI",
    "Wyoming": "WY", "Puerto Rico": "PR", "Guam": "GU", "U.S. Virgin Islands": "VI",
    "American Samoa": "AS", "Northern Mariana Islands": "MP", "Armed Forces Americas": "AA",
    "Armed Forces Europe": "AE", "Armed Forces Pacific": "AP",
}  # fmt: skip

_BY_FOLDED = {name.casefold(): code for name, code in US_STATES.items()}
_CODES = frozenset(US_STATES.values())


def us_state_code(name: str | None) -> str | None:
    """The two-letter code of a US state given by name or code; None when unknown."""
    if not name:
        return None
    text = name.strip()
    if text.upper() in _CODES:
        return text.upper()
    return _BY_FOLDED.get(text.casefold())
