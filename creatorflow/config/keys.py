"""Every configuration key CreatorFlow knows: its type, default and one-line description.

This table is the single source for ``config.toml`` validation, the commented template that
``creatorflow init`` writes, ``config show``, and the ``CREATORFLOW_<SECTION>_<KEY>``
environment overrides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

Value = str | int | float | bool

ENV_PREFIX = "CREATORFLOW_"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


#: No setting needs more (a billion seconds is 31 years); larger values only overflow later.
INTEGER_MAX = 1_000_000_000


class Kind(StrEnum):
    """The type of a setting's value."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    FLAG = "flag"
    CHOICE = "choice"


@dataclass(frozen=True)
class Key:
    """One configuration key."""

    name: str
    kind: Kind
    default: Value
    description: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    env: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", ENV_PREFIX + self.name.upper().replace(".", "_"))

    @property
    def section(self) -> str:
        """The TOML table the key lives in."""
        return self.name.split(".", 1)[0]

    @property
    def leaf(self) -> str:
        """The key's name inside its table."""
        return self.name.split(".", 1)[1]

    def type_text(self) -> str:
        """What values the key takes, for error messages and help."""
        if self.kind is Kind.CHOICE:
            return "one of " + ", ".join(self.choices)
        if self.kind is Kind.INTEGER and self.minimum is not None:
            return f"a whole number from {self.minimum} to {INTEGER_MAX:,}"
        return {
            Kind.TEXT: "text",
            Kind.INTEGER: f"a whole number up to {INTEGER_MAX:,}",
            Kind.NUMBER: "a number",
            Kind.FLAG: "true or false",
            Kind.CHOICE: "a choice",
        }[self.kind]

    def parse(self, raw: str) -> Value:
        """Read a value typed by a person or set in the environment.

        Raises:
            ValueError: the text is not a valid value for this key.
        """
        text = raw.strip()
        if self.kind is Kind.FLAG:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError(f"expected {self.type_text()}, got {raw!r}")
        if self.kind is Kind.INTEGER:
            try:
                return self.check(int(text))
            except ValueError:
                raise ValueError(f"expected {self.type_text()}, got {raw!r}") from None
        if self.kind is Kind.NUMBER:
            try:
                return self.check(float(text))
            except ValueError:
                raise ValueError(f"expected {self.type_text()}, got {raw!r}") from None
        return self.check(raw)

    def check(self, value: object) -> Value:
        """Validate a value read from TOML (already typed) and return it normalised.

        Raises:
            ValueError: wrong type, out of range, or not one of the choices.
        """
        if self.kind is Kind.FLAG:
            if isinstance(value, bool):
                return value
        elif self.kind is Kind.INTEGER:
            if isinstance(value, int) and not isinstance(value, bool):
                low = self.minimum if self.minimum is not None else -INTEGER_MAX
                if not low <= value <= INTEGER_MAX:
                    raise ValueError(f"expected {self.type_text()}, got {value}")
                return value
        elif self.kind is Kind.NUMBER:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
        elif isinstance(value, str):
            if self.kind is Kind.CHOICE and value not in self.choices:
                raise ValueError(f"expected {self.type_text()}, got {value!r}")
            return value
        raise ValueError(f"expected {self.type_text()}, got {value!r}")


def _k(
    name: str,
    default: Value,
    description: str,
    *,
    choices: tuple[str, ...] = (),
    minimum: int | None = None,
) -> Key:
    kind = {bool: Kind.FLAG, int: Kind.INTEGER, float: Kind.NUMBER, str: Kind.TEXT}[type(default)]
    if choices:
        kind = Kind.CHOICE
    return Key(name, kind, default, description, choices=choices, minimum=minimum)


KEYS: tuple[Key, ...] = (
    _k("database.url", "", "SQLAlchemy URL of the store; empty: SQLite in the data folder."),
    _k("station.name", "", "Name of this packing station in logs and events; empty: host name."),
    _k("tiktok.api_base", "https://open-api.tiktokglobalshop.com", "TikTok Shop Open API host."),
    _k("tiktok.auth_base", "https://auth.tiktok-shops.com", "TikTok Shop token service host."),
    _k("tiktok.app_key", "", "App key of your TikTok Shop app (the app secret is a secret)."),
    _k("tiktok.service_id", "", "Service id of your TikTok Shop app (for the authorization link)."),
    _k("tiktok.region", "US", "Region of the shop (US, GB, …): decides hosts and shipping rules."),
    _k(
        "tiktok.authorize_base",
        "",
        "Host of the seller authorization page; empty: TikTok's own for the region.",
    ),
    _k(
        "tiktok.sync_overlap_minutes",
        5,
        "Minutes each order poll re-reads before the last one's newest update.",
        minimum=0,
    ),
    _k("shippo.api_base", "https://api.goshippo.com", "Shippo API host."),
    _k("easypost.api_base", "https://api.easypost.com/v2", "EasyPost API base, with /v2."),
    _k("billing.url", "https://billing.creatorflow.app", "CreatorFlow billing service."),
    _k(
        "billing.trusted_keys",
        "",
        "Extra entitlement keys (KID:KEY, comma-separated): staging and sandbox services only.",
    ),
    _k("labels.format", "pdf_4x6", "Label file format.", choices=("pdf_4x6", "zpl")),
    _k("labels.workers", 8, "Labels bought in parallel by `labels buy` and the daemon.", minimum=1),
    _k(
        "rules.strategy",
        "cheapest",
        "How a service is chosen: the cheapest, or the cheapest that arrives in time.",
        choices=("cheapest", "fastest_in_time"),
    ),
    _k("rules.providers", "", "Label providers to use, in order (shippo, easypost); empty: all."),
    _k("rules.preferred_carriers", "", "Carriers to prefer, comma-separated (e.g. USPS,UPS)."),
    _k("rules.excluded_services", "", "Service tokens never to buy, comma-separated."),
    _k("rules.max_price", "", "Never pay more than this per label (empty: no cap)."),
    _k(
        "rules.usps_via_tiktok",
        True,
        "US TikTok orders take USPS only through TikTok Shipping (TikTok's 2026 rule).",
    ),
    _k("rules.usps_via_tiktok_from", "2026-01-01", "The day the USPS rule applies from."),
    _k(
        "rules.sku_overrides",
        "",
        "Fixed choices per SKU: SKU=PROVIDER[:SERVICE], comma-separated.",
    ),
    _k("parcels.default_preset", "", "Box used when a SKU names none (a preset name)."),
    _k("approve.auto", False, "Let the daemon approve new orders that pass every guard and rule."),
    _k(
        "approve.auto_max_units",
        5,
        "Auto-approve only orders of this many units or fewer.",
        minimum=1,
    ),
    _k("approve.auto_us_only", True, "Auto-approve only orders shipping to the US."),
    _k(
        "approve.auto_without_buyer_message",
        True,
        "Auto-approve only orders without a buyer message (a person reads those first).",
    ),
    _k("printer.kind", "folder", "Where labels go.", choices=("folder", "cups", "raw9100", "none")),
    _k("printer.name", "", "CUPS queue name (printer.kind = cups); empty means the default queue."),
    _k("printer.host", "", "Thermal printer address (printer.kind = raw9100)."),
    _k("printer.port", 9100, "Thermal printer TCP port (printer.kind = raw9100).", minimum=1),
    _k("printer.folder", "", "Folder for label files (printer.kind = folder); empty: data/prints."),
    _k("printer.auto_print", False, "Let the daemon print each new label once, as it is bought."),
    _k("ship_from.name", "", "Sender name on labels."),
    _k("ship_from.company", "", "Sender company on labels."),
    _k("ship_from.street1", "", "Sender street address."),
    _k("ship_from.street2", "", "Sender address second line."),
    _k("ship_from.city", "", "Sender city."),
    _k("ship_from.state", "", "Sender state or province code."),
    _k("ship_from.postal_code", "", "Sender postal code."),
    _k("ship_from.country", "US", "Sender country (ISO 3166 two letters)."),
    _k("ship_from.phone", "", "Sender phone, required by some carriers."),
    _k("ship_from.email", "", "Sender email for carrier notices."),
    _k("daemon.poll_seconds", 120, "How often the daemon polls TikTok for orders.", minimum=30),
    _k("daemon.tracking_seconds", 1800, "How often the daemon follows tracking.", minimum=300),
    _k(
        "notify.command",
        "",
        "Command run for each alert (no shell); the message is its last argument.",
    ),
    _k("notify.desktop", False, "Also show alerts as desktop notifications (Linux, macOS)."),
    _k("secrets.allow_file", False, "Allow a plain-text 0600 secrets file when no keyring exists."),
    _k(
        "retention.buyer_data_days",
        90,
        "Days after delivery or cancellation to keep buyers' names, addresses and messages.",
        minimum=1,
    ),
    _k("retention.job_runs_days", 30, "Days to keep the daemon's job history.", minimum=1),
)

BY_NAME: dict[str, Key] = {key.name: key for key in KEYS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(key.section for key in KEYS))
