"""TikTok Shipping as a :class:`~creatorflow.integrations.shipping.base.LabelProvider`.

Orders with ``shipping_type = TIKTOK`` must ship on a TikTok Shipping label (reference
tiktok-shop.md §6): Get Eligible Shipping Service quotes, Create Packages buys (one package for
the whole order), Get Package Shipping Document gives the label's download URL, Get Package
Detail and Get Tracking follow it.

The provider talks to TikTok through :class:`TikTokShippingClient`, a protocol that
:class:`~creatorflow.integrations.tiktok.client.TikTokClient` satisfies structurally:
``integrations.*`` subpackages do not import each other (DESIGN §2), so the services layer
passes the real client in. Errors are read the same way, by duck typing: a TikTok business
error is a :class:`~creatorflow.errors.ProviderError` carrying an integer ``code``.

Choices worth knowing:

* **Weights** go to TikTok in ``POUND`` (ounces / 16, rounded *up* to 0.0001 lb so a parcel is
  never declared lighter than it is), sizes in ``INCH`` (rounded up to 0.01 in). TikTok prices
  depend on them, and :meth:`TikTokShippingProvider.buy` receives only the rate, so the quoted
  parcel travels inside ``Rate.attributes`` (``tiktok_weight:…``, ``tiktok_dimension:…``);
  a rate without them buys with TikTok's product data.
* **Labels** are PDFs of size ``A6`` (TikTok's only label size near 4x6; the documents module
  scales it onto 4x6). TikTok offers ZPL only in Brazil, while Create Packages is US only, so a
  ZPL request is refused *before* anything is bought.
* **Void**: the 202309 API has no endpoint to cancel a TikTok Shipping package, so
  :meth:`TikTokShippingProvider.void` answers ``NOT_APPLICABLE`` (cancel in Seller Center).
* **Reconcile**: TikTok allows one TikTok Shipping package per order, so
  :meth:`TikTokShippingProvider.find_purchase` adopts the order's non-cancelled TikTok
  Shipping package whatever the rate; its cost is the rate's estimate when a rate is given
  (package detail reports no price), else 0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any, Protocol

import httpx

from creatorflow.errors import AuthError, CreatorflowError, ProviderError, RateLimitedError
from creatorflow.integrations.http import (
    NetworkError,
    TransientHTTPError,
    call_with_retries,
    make_client,
    raise_for_transport,
)
from creatorflow.integrations.shipping.base import (
    Address,
    Label,
    LabelFormat,
    LabelReference,
    LabelRejected,
    Parcel,
    PurchaseOutcomeUnknown,
    Rate,
    TrackingEvent,
    TrackingStatus,
    TrackingUpdate,
    VoidResult,
    VoidState,
)

__all__ = [
    "PROVIDER_NAME",
    "TikTokShippingClient",
    "TikTokShippingProvider",
    "tracking_status",
]

log = logging.getLogger(__name__)

PROVIDER_NAME = "tiktok_shipping"
VOID_MESSAGE = "TikTok Shipping labels are cancelled from Seller Center"

_WEIGHT_PREFIX = "tiktok_weight:"
_DIMENSION_PREFIX = "tiktok_dimension:"
_DEFAULT_ATTRIBUTE = "default"
_POUND_STEP = Decimal("0.0001")
_INCH_STEP = Decimal("0.01")
_OUNCES_PER_POUND = Decimal(16)

# Create Packages answers these when TikTok itself may still be buying the label: the outcome
# is unknown, never a refusal (reference §9.2; create-packages error list).
_AMBIGUOUS_CODES = frozenset(
    {
        11001027,  # System timeout.
        21001011,  # System process error, please try again later.
        21022026,  # Cannot purchase shipping label, please try again later.
        21022029,  # System process error, please try again later.
        21030005,  # Processing create_label_status not allow to operate this action.
        36009003,  # Internal error.
        36009007,  # Request timeout.
    }
)


# -- what the provider reads from TikTok (TikTokClient's models satisfy these) -------------------


class _ShippingService(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def price(self) -> str | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def earliest_delivery_days(self) -> int | None: ...
    @property
    def latest_delivery_days(self) -> int | None: ...
    @property
    def is_default(self) -> bool | None: ...
    @property
    def shipping_provider_name(self) -> str | None: ...


class _ServiceInfo(Protocol):
    @property
    def id(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def price(self) -> str | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def shipping_provider_name(self) -> str | None: ...


class _CreatedPackage(Protocol):
    @property
    def package_id(self) -> str: ...
    @property
    def shipping_service_info(self) -> _ServiceInfo | None: ...


class _ShippingDocument(Protocol):
    @property
    def doc_url(self) -> str: ...
    @property
    def tracking_number(self) -> str | None: ...


class _PackageOrder(Protocol):
    @property
    def id(self) -> str: ...


class _PackageDetail(Protocol):
    @property
    def package_id(self) -> str: ...
    @property
    def orders(self) -> Sequence[_PackageOrder]: ...
    @property
    def package_status(self) -> str | None: ...
    @property
    def shipping_provider_name(self) -> str | None: ...
    @property
    def shipping_type(self) -> str | None: ...
    @property
    def tracking_number(self) -> str | None: ...


class _TrackingEvent(Protocol):
    @property
    def description(self) -> str: ...
    @property
    def time(self) -> datetime | None: ...


class _PackageRef(Protocol):
    @property
    def id(self) -> str: ...


class _LineItem(Protocol):
    @property
    def package_id(self) -> str | None: ...


class _Order(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def shipping_type(self) -> str | None: ...
    @property
    def packages(self) -> Sequence[_PackageRef]: ...
    @property
    def line_items(self) -> Sequence[_LineItem]: ...


class _DecodedOrder(Protocol):
    @property
    def order(self) -> _Order: ...


class _OrderPage(Protocol):
    @property
    def orders(self) -> Sequence[_DecodedOrder]: ...


class TikTokShippingClient(Protocol):
    """The TikTok Shop calls TikTok Shipping needs; ``TikTokClient`` has them all.

    ``weight`` and ``dimension`` are sent as JSON objects as given: the provider passes
    ``{"value", "unit"}`` and ``{"length", "width", "height", "unit"}`` mappings, the same
    JSON as the client's ``Weight`` and ``Dimension`` models (typed ``Any`` here because
    this package may not import the TikTok package).
    """

    def eligible_shipping_services(
        self,
        cipher: str,
        order_id: str,
        *,
        order_line_item_ids: Sequence[str] | None = None,
        weight: Any = None,
        dimension: Any = None,
    ) -> Sequence[_ShippingService]:
        """Get Eligible Shipping Service."""
        ...

    def create_packages(
        self,
        cipher: str,
        order_id: str,
        *,
        shipping_service_id: str,
        order_line_item_ids: Sequence[str] | None = None,
        weight: Any = None,
        dimension: Any = None,
    ) -> _CreatedPackage:
        """Create Packages (buys the label; never retried by the client)."""
        ...

    def package_shipping_document(
        self,
        cipher: str,
        package_id: str,
        *,
        document_type: str = "SHIPPING_LABEL",
        document_format: str = "PDF",
        document_size: str = "A6",
    ) -> _ShippingDocument:
        """Get Package Shipping Document."""
        ...

    def package_detail(self, cipher: str, package_id: str) -> _PackageDetail:
        """Get Package Detail."""
        ...

    def order_tracking(self, cipher: str, order_id: str) -> Sequence[_TrackingEvent]:
        """Get Tracking."""
        ...

    def order_details(self, cipher: str, ids: Sequence[str]) -> _OrderPage:
        """Get Order Detail."""
        ...


# -- conversions ---------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """A decimal as TikTok's decimal string: no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _pounds(ounces: Decimal) -> str:
    return _plain((ounces / _OUNCES_PER_POUND).quantize(_POUND_STEP, rounding=ROUND_CEILING))


def _inches(value: Decimal) -> str:
    return _plain(value.quantize(_INCH_STEP, rounding=ROUND_CEILING))


def _parcel_attributes(parcel: Parcel) -> tuple[str, ...]:
    out: list[str] = []
    if parcel.weight_oz > 0:
        out.append(f"{_WEIGHT_PREFIX}{_pounds(parcel.weight_oz)}:POUND")
    sides = (parcel.length_in, parcel.width_in, parcel.height_in)
    if all(side > 0 for side in sides):
        out.append(_DIMENSION_PREFIX + ":".join(_inches(side) for side in sides) + ":INCH")
    return tuple(out)


def _weight_of(attributes: Sequence[str]) -> dict[str, str] | None:
    for attribute in attributes:
        if attribute.startswith(_WEIGHT_PREFIX):
            parts = attribute.removeprefix(_WEIGHT_PREFIX).split(":")
            if len(parts) == 2 and all(parts):
                return {"value": parts[0], "unit": parts[1]}
    return None


def _dimension_of(attributes: Sequence[str]) -> dict[str, str] | None:
    for attribute in attributes:
        if attribute.startswith(_DIMENSION_PREFIX):
            parts = attribute.removeprefix(_DIMENSION_PREFIX).split(":")
            if len(parts) == 4 and all(parts):
                return dict(zip(("length", "width", "height", "unit"), parts, strict=True))
    return None


def _amount(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _currency(text: str | None) -> str:
    # Create Packages' documented example says "dollar"; every TikTok Shipping API is US-only.
    code = (text or "").strip().upper()
    if len(code) == 3 and code.isalpha():
        return code
    return "USD"


def _carrier(provider_name: str | None, service_name: str | None) -> str:
    if provider_name and provider_name.strip():
        return provider_name.strip()
    if service_name and service_name.strip():
        return service_name.split()[0]
    return "TikTok Shipping"


def _order_of(reference: str) -> str:
    try:
        return LabelReference.parse(reference).order_id
    except ValueError as exc:
        raise ValueError(f"TikTok Shipping needs a label reference: {exc}") from exc


def _code_of(error: BaseException) -> int | None:
    code = getattr(error, "code", None)
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _is_business_error(error: BaseException) -> bool:
    """A TikTok refusal: a provider error with TikTok's code, neither transient nor auth."""
    return (
        isinstance(error, ProviderError)
        and not isinstance(error, (TransientHTTPError, NetworkError, RateLimitedError))
        and _code_of(error) is not None
    )


def _rejected(error: CreatorflowError) -> LabelRejected:
    return LabelRejected(str(error), hint=error.hint)


# -- tracking ------------------------------------------------------------------------------------

_NEGATED_DELIVERY = ("not delivered", "undeliverable", "delivery attempt", "attempted delivery")


def tracking_status(description: str) -> TrackingStatus:
    """The status a TikTok tracking description means, read conservatively (else UNKNOWN).

    TikTok sends carrier wording only (no status code), so this matches well-known phrases:
    returns and failures first, then delivery, then the in-between states.
    """
    text = " ".join(description.lower().split())
    if not text:
        return TrackingStatus.UNKNOWN
    if "return to sender" in text or "returned to sender" in text or "returned to shipper" in text:
        return TrackingStatus.RETURNED
    if any(word in text for word in ("exception", "undeliverable", "lost", "damaged")):
        return TrackingStatus.FAILURE
    if "out for delivery" in text:
        return TrackingStatus.OUT_FOR_DELIVERY
    if "delivered" in text and not any(phrase in text for phrase in _NEGATED_DELIVERY):
        return TrackingStatus.DELIVERED
    if any(
        phrase in text
        for phrase in ("label created", "awaiting carrier", "pre-shipment", "shipping label")
    ):
        return TrackingStatus.PRE_TRANSIT
    if any(
        phrase in text
        for phrase in (
            "picked up",
            "in transit",
            "accepted",
            "arrived",
            "departed",
            "facility",
            "processed",
            "delivery attempt",
            "attempted delivery",
        )
    ):
        return TrackingStatus.IN_TRANSIT
    return TrackingStatus.UNKNOWN


def _tracking_update(records: Sequence[_TrackingEvent]) -> TrackingUpdate:
    events = sorted(
        (
            TrackingEvent(
                at=record.time,
                status=tracking_status(record.description),
                description=record.description,
            )
            for record in records
            if record.time is not None
        ),
        key=lambda event: event.at,
    )
    known = [event.status for event in events if event.status is not TrackingStatus.UNKNOWN]
    return TrackingUpdate(known[-1] if known else TrackingStatus.UNKNOWN, tuple(events))


# -- the provider --------------------------------------------------------------------------------


def _http_download(url: str) -> bytes:
    def attempt() -> bytes:
        with make_client("") as http:
            response = http.get(url)
        raise_for_transport(response, now=datetime.now(UTC))
        if response.status_code != 200:
            raise ProviderError(
                f"Downloading the TikTok Shipping label failed with HTTP {response.status_code}."
            )
        return response.content

    return call_with_retries(attempt, attempts=3, idempotent=True)


class TikTokShippingProvider:
    """TikTok Shipping labels for one shop (``cipher``) through a TikTok Shop client.

    Args:
        client: The shop's TikTok client (``TikTokClient``), which retries reads and never
            retries Create Packages.
        cipher: The shop's ``shop_cipher``.
        download: Fetches a label URL's bytes (tests, the sandbox); by default an ``httpx``
            client from :func:`~creatorflow.integrations.http.make_client`.
    """

    name = PROVIDER_NAME

    def __init__(
        self,
        client: TikTokShippingClient,
        cipher: str,
        *,
        download: Callable[[str], bytes] | None = None,
    ) -> None:
        if not cipher:
            raise ValueError("TikTok Shipping needs the shop's cipher")
        self._client = client
        self._cipher = cipher
        self._download = download if download is not None else _http_download

    # -- quote -----------------------------------------------------------------------------

    def quote(
        self, ship_from: Address, ship_to: Address, parcel: Parcel, *, reference: str
    ) -> Sequence[Rate]:
        """TikTok Shipping services for the reference's order at this parcel's size.

        The addresses are TikTok's own (the order's and the warehouse's) and are not sent.
        Services without a readable price are left out.

        Raises:
            LabelRejected: TikTok refused (not a TikTok Shipping order, no service for this
                parcel, order on hold or cancelled, …), with TikTok's code and message.
        """
        order_id = _order_of(reference)
        attributes = _parcel_attributes(parcel)
        try:
            services = self._client.eligible_shipping_services(
                self._cipher,
                order_id,
                weight=_weight_of(attributes),
                dimension=_dimension_of(attributes),
            )
        except CreatorflowError as error:
            if _is_business_error(error):
                raise _rejected(error) from error
            raise
        rates: list[Rate] = []
        for service in services:
            amount = _amount(service.price)
            if amount is None:
                log.warning("TikTok Shipping service %s came without a price; skipped", service.id)
                continue
            extra = (_DEFAULT_ATTRIBUTE,) if service.is_default else ()
            rates.append(
                Rate(
                    provider=PROVIDER_NAME,
                    rate_id=service.id,
                    shipment_id=order_id,
                    carrier=_carrier(service.shipping_provider_name, service.name),
                    service=service.name or service.id,
                    service_token=service.id,
                    amount=amount,
                    currency=_currency(service.currency),
                    estimated_days=service.latest_delivery_days or service.earliest_delivery_days,
                    attributes=attributes + extra,
                )
            )
        return rates

    # -- buy -------------------------------------------------------------------------------

    def buy(self, rate: Rate, *, label_format: LabelFormat, reference: str) -> Label:
        """Buy the label (Create Packages), then ask where its PDF is.

        Only Create Packages spends money; a failure to get the document afterwards leaves
        ``label_url`` ``None`` (and the tracking number from package detail), and
        :meth:`download` asks again.

        Raises:
            LabelRejected: TikTok refused the purchase (its code and message), or a ZPL
                label was asked for (TikTok offers ZPL in Brazil only).
            PurchaseOutcomeUnknown: timeout, dropped connection, 5xx, an internal or
                "try again later" code, or an unreadable answer: reconcile first.
            AuthError, RateLimitedError: TikTok refused the request before buying.
        """
        order_id = _order_of(reference)
        if rate.provider != PROVIDER_NAME:
            raise ValueError(f"a {rate.provider} rate cannot be bought from TikTok Shipping")
        if label_format is not LabelFormat.PDF_4X6:
            raise LabelRejected(
                "TikTok Shipping labels come as PDF only (TikTok offers ZPL in Brazil, where "
                "Create Packages is not available); nothing was bought.",
                hint="Set labels.format to pdf_4x6 to print TikTok Shipping labels.",
            )
        try:
            created = self._client.create_packages(
                self._cipher,
                order_id,
                shipping_service_id=rate.rate_id,
                weight=_weight_of(rate.attributes),
                dimension=_dimension_of(rate.attributes),
            )
        except (AuthError, RateLimitedError):
            raise
        except CreatorflowError as error:
            code = _code_of(error)
            if _is_business_error(error) and code not in _AMBIGUOUS_CODES:
                raise _rejected(error) from error
            raise PurchaseOutcomeUnknown(
                f"TikTok Shipping may or may not have bought the label of order {order_id}: "
                f"{error}",
                hint="CreatorFlow checks the order's packages before buying again.",
            ) from error
        except Exception as error:  # an unexpected failure mid-purchase: never buy blindly
            raise PurchaseOutcomeUnknown(
                f"Buying the TikTok Shipping label of order {order_id} failed unexpectedly: "
                f"{type(error).__name__}: {error}",
                hint="CreatorFlow checks the order's packages before buying again.",
            ) from error
        info = created.shipping_service_info
        cost = _amount(info.price) if info is not None else None
        url, tracking = self._document(created.package_id)
        if not tracking:
            tracking = self._tracking_number(created.package_id)
        carrier = (info.shipping_provider_name if info is not None else None) or rate.carrier
        return Label(
            provider=PROVIDER_NAME,
            label_id=created.package_id,
            tracking_number=tracking or "",
            carrier=carrier,
            service=(info.name if info is not None else None) or rate.service,
            cost=rate.amount if cost is None else cost,
            currency=rate.currency if cost is None or info is None else _currency(info.currency),
            label_url=url,
            label_format=LabelFormat.PDF_4X6,
            rate_id=rate.rate_id,
            shipment_id=order_id,
        )

    def _fetch_document(self, package_id: str) -> _ShippingDocument:
        return self._client.package_shipping_document(
            self._cipher,
            package_id,
            document_type="SHIPPING_LABEL",
            document_format="PDF",
            document_size="A6",
        )

    def _document(self, package_id: str) -> tuple[str | None, str | None]:
        """The label URL and tracking number, or ``(None, None)`` if TikTok could not say."""
        try:
            document = self._fetch_document(package_id)
        except CreatorflowError as error:
            log.warning("No TikTok Shipping document for package %s yet: %s", package_id, error)
            return None, None
        return document.doc_url or None, document.tracking_number or None

    def _tracking_number(self, package_id: str) -> str | None:
        try:
            return self._client.package_detail(self._cipher, package_id).tracking_number
        except CreatorflowError as error:
            log.warning("No package detail for TikTok package %s yet: %s", package_id, error)
            return None

    # -- reconcile -------------------------------------------------------------------------

    def find_purchase(self, *, reference: str, rate: Rate | None) -> Label | None:
        """The order's TikTok Shipping package, if one exists (buys nothing).

        Looks at the order's packages (and its lines' ``package_id``) and adopts the first
        one whose detail says ``shipping_type`` TIKTOK and is not ``CANCELLED``. ``None``
        only when TikTok showed the order without one.

        Raises:
            LabelRejected: TikTok refused the lookup (e.g. 21008111, the order is not this
                shop's): absence cannot be proven, so a person must look.
        """
        order_id = _order_of(reference)
        try:
            page = self._client.order_details(self._cipher, [order_id])
            order = next((d.order for d in page.orders if d.order.id == order_id), None)
            if order is None:
                return None
            package_ids = list(
                dict.fromkeys(
                    [p.id for p in order.packages if p.id]
                    + [line.package_id for line in order.line_items if line.package_id]
                )
            )
            details = [self._client.package_detail(self._cipher, p) for p in package_ids]
        except CreatorflowError as error:
            if _is_business_error(error):
                raise _rejected(error) from error
            raise
        for package_id, detail in zip(package_ids, details, strict=True):
            shipping_type = detail.shipping_type or order.shipping_type
            if shipping_type != "TIKTOK" or detail.package_status == "CANCELLED":
                continue
            url, tracking = self._document(package_id)
            carrier = _carrier(detail.shipping_provider_name, rate.service if rate else None)
            return Label(
                provider=PROVIDER_NAME,
                label_id=detail.package_id or package_id,
                tracking_number=detail.tracking_number or tracking or "",
                carrier=carrier,
                service=rate.service if rate is not None else carrier,
                cost=rate.amount if rate is not None else Decimal(0),
                currency=rate.currency if rate is not None else "USD",
                label_url=url,
                label_format=LabelFormat.PDF_4X6,
                rate_id=rate.rate_id if rate is not None else None,
                shipment_id=order_id,
            )
        return None

    # -- after the purchase ----------------------------------------------------------------

    def void(self, label: Label) -> VoidResult:
        """Not possible through the API: TikTok Shop 202309 has no cancel-package endpoint."""
        return VoidResult(VoidState.NOT_APPLICABLE, VOID_MESSAGE)

    def track(self, label: Label) -> TrackingUpdate:
        """The order's carrier events (Get Tracking), oldest first, read conservatively."""
        order_id = label.shipment_id
        if not order_id:
            detail = self._client.package_detail(self._cipher, label.label_id)
            if not detail.orders:
                return TrackingUpdate(TrackingStatus.UNKNOWN)
            order_id = detail.orders[0].id
        return _tracking_update(self._client.order_tracking(self._cipher, order_id))

    def download(self, label: Label) -> bytes:
        """The label PDF; a missing or refused (expired) URL is asked for again once.

        Raises:
            ProviderError: TikTok has no document for the package, or the file is not a PDF.
        """
        data: bytes | None = None
        if label.label_url:
            try:
                data = self._download(label.label_url)
            except (TransientHTTPError, NetworkError, RateLimitedError):
                raise
            except (CreatorflowError, httpx.HTTPError) as error:
                log.info("TikTok label URL refused (%s); asking for a fresh one", error)
        if data is None:
            url = self._fetch_document(label.label_id).doc_url
            if not url:
                raise ProviderError(
                    f"TikTok has no shipping label document for package {label.label_id} yet.",
                    hint="TikTok may still be generating it; try printing again in a minute.",
                )
            data = self._download(url)
        if b"%PDF-" not in data[:1024]:
            raise ProviderError(
                f"The TikTok Shipping label of package {label.label_id} is not a PDF.",
                hint="Try printing again; if it persists, download it from Seller Center.",
            )
        return data
