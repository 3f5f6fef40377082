"""EasyPost as a :class:`~creatorflow.integrations.shipping.base.LabelProvider`, through the
official ``easypost`` SDK (10.7).

* ``quote`` creates a Shipment carrying the purchase's ``reference`` and 4x6 label options;
  each Rate keeps its shipment id (EasyPost buys *on* a shipment).
* ``buy`` is one ``POST /shipments/{id}/buy``, never retried. A shipment holds one label, so
  "already bought" is answered by adopting the label that exists. A timeout, a dropped
  connection, a 5xx or an unreadable answer raises ``PurchaseOutcomeUnknown``: reconcile with
  ``find_purchase`` (which re-fetches the shipment) before anything else.
* ``find_purchase`` without a rate looks the reference up (EasyPost accepts a reference in place
  of an id) and then scans the most recent bought shipments for it.
* The SDK's own HTTP adapter retries failed *connections* only (urllib3 semantics: a POST
  whose request was sent is never resent). Nothing here polls, so there is no sleep to inject.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from easypost.easypost_client import EasyPostClient
from easypost.errors.api.api_error import ApiError as EasyPostApiError
from easypost.errors.api.http_error import HttpError as EasyPostHttpError
from easypost.errors.api.json_error import JsonError as EasyPostJsonError
from easypost.errors.api.not_found_error import NotFoundError as EasyPostNotFound
from easypost.errors.api.timeout_error import TimeoutError as EasyPostTimeout
from easypost.errors.general.easypost_error import EasyPostError

from creatorflow.errors import AuthError, ProviderError, RateLimitedError
from creatorflow.integrations.http import (
    NetworkError,
    TransientHTTPError,
    make_client,
    raise_for_transport,
    retry_after_seconds,
)
from creatorflow.integrations.shipping import easypost_convert as convert
from creatorflow.integrations.shipping.base import (
    Address,
    Label,
    LabelFormat,
    LabelRejected,
    Parcel,
    PurchaseOutcomeUnknown,
    Rate,
    TrackingUpdate,
    VoidResult,
    VoidState,
)

__all__ = ["DEFAULT_API_BASE", "EasyPostProvider"]

T = TypeVar("T")
DEFAULT_API_BASE = "https://api.easypost.com/v2"
CONNECT_HINT = "Run `creatorflow connect easypost` with a valid EasyPost API key."
RECONCILE_HINT = "CreatorFlow checks with EasyPost whether the label exists before it buys again."
SEARCH_PAGES = 3
"""How many pages (100 shipments each, newest first) a reference search scans."""


class EasyPostProvider:
    """Labels bought through EasyPost (thread-safe: the SDK client is)."""

    name = "easypost"

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 20.0,
        label_format: LabelFormat = LabelFormat.PDF_4X6,
    ) -> None:
        """``label_format`` is what quotes ask for; ``buy`` converts when it is asked another."""
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.label_format = label_format
        # The SDK annotates ``timeout`` as int but hands it to requests, which takes a float.
        self._client = EasyPostClient(api_key, api_base=self.api_base, timeout=timeout)  # type: ignore[arg-type]
        self._last = threading.local()
        self._client.subscribe_to_response_hook(self._remember_response)  # type: ignore[no-untyped-call]

    # -- plumbing -----------------------------------------------------------------------------

    def _remember_response(self, **kwargs: Any) -> None:
        self._last.status = kwargs.get("http_status")
        self._last.headers = kwargs.get("headers") or {}

    def _call(self, what: str, fn: Callable[[], T], *, purchase: bool = False) -> T:
        self._last.status = None
        self._last.headers = {}
        try:
            return fn()
        except EasyPostError as error:
            raise self._translate(error, what, purchase=purchase) from error

    def _retry_after(self) -> float | None:
        headers = getattr(self._last, "headers", None) or {}
        raw = headers.get("Retry-After") if hasattr(headers, "get") else None
        if raw is None:
            return None
        response = httpx.Response(429, headers={"Retry-After": str(raw)})
        return retry_after_seconds(response, now=datetime.now(UTC))

    def _translate(self, error: EasyPostError, what: str, *, purchase: bool) -> Exception:
        """One SDK error as a CreatorFlow error (see the module docstring)."""
        unknown = f"EasyPost may or may not have bought the label ({what}): "
        if isinstance(error, (EasyPostTimeout, EasyPostHttpError)):
            sent = not convert.never_sent(error)
            timed_out = isinstance(error, EasyPostTimeout)
            detail = (
                f"no answer within {self.timeout:g} s"
                if timed_out
                else "the connection failed or was cut"
            )
            if purchase and sent:
                return PurchaseOutcomeUnknown(unknown + detail + ".", hint=RECONCILE_HINT)
            return NetworkError(
                f"EasyPost ({what}): {detail}.",
                may_have_reached_provider=sent,
                hint="Check the internet connection, then try again.",
            )
        status = getattr(error, "http_status", None)
        if status is None:
            status = getattr(self._last, "status", None)
        if isinstance(error, EasyPostJsonError):
            if purchase:
                return PurchaseOutcomeUnknown(
                    unknown + "its answer could not be read.", hint=RECONCILE_HINT
                )
            if isinstance(status, int) and status >= 500:
                return TransientHTTPError(f"EasyPost ({what}) failed with HTTP {status}.",
                                          status=status)  # fmt: skip
            return ProviderError(f"EasyPost ({what}) sent an answer CreatorFlow cannot read.")
        message = convert.error_text(
            getattr(error, "message", str(error)), getattr(error, "errors", None)
        )
        if status in (401, 403):
            return AuthError(f"EasyPost refused the API key: {message}", hint=CONNECT_HINT)
        if status == 429:
            return RateLimitedError(
                f"EasyPost ({what}) was rate limited (HTTP 429).",
                retry_after=self._retry_after(),
                hint="CreatorFlow slows down and tries again by itself.",
            )
        if isinstance(status, int) and (status >= 500 or status == 408):
            if purchase:
                return PurchaseOutcomeUnknown(
                    unknown + f"HTTP {status}: {message}", hint=RECONCILE_HINT
                )
            return TransientHTTPError(
                f"EasyPost ({what}) failed with HTTP {status}: {message}",
                status=status,
                hint="EasyPost is having trouble; CreatorFlow tries again later.",
            )
        if isinstance(status, int) and 400 <= status < 500:
            return LabelRejected(message, title="EasyPost refused")
        if purchase:
            return PurchaseOutcomeUnknown(unknown + message, hint=RECONCILE_HINT)
        return ProviderError(f"EasyPost ({what}): {message}")

    def _shipment(self, key: str, what: str) -> dict[str, Any] | None:
        """A shipment by id or reference as a dict; None when EasyPost has none."""
        try:
            found = self._call(what, lambda: self._client.shipment.retrieve(quote(key, safe=":")))
        except LabelRejected as error:
            if isinstance(error.__cause__, EasyPostNotFound):
                return None
            raise
        return _as_dict(found)

    def _with_format(self, shipment: dict[str, Any], label_format: LabelFormat) -> Label:
        """The label of a bought shipment; converts it to `label_format` when EasyPost has not
        made that file yet (a failed conversion leaves ``label_url`` None: ``download`` retries).
        """
        label = _parse(lambda: convert.label(shipment, label_format))
        if label.label_url is not None:
            return label
        try:
            converted = self._convert(label.label_id, label_format)
        except (ProviderError, AuthError):
            return label
        return _parse(lambda: convert.label(converted, label_format))

    def _convert(self, shipment_id: str, label_format: LabelFormat) -> dict[str, Any]:
        fmt = convert.EASYPOST_FORMAT[label_format]
        return _as_dict(
            self._call(
                "convert label",
                lambda: self._client.shipment.label(shipment_id, file_format=fmt),
            )
        )

    # -- LabelProvider ------------------------------------------------------------------------

    def verify_key(self) -> None:
        """One cheap authenticated call (list one shipment).

        Raises:
            AuthError: the key was refused (hint: ``creatorflow connect easypost``).
        """
        self._call("check the API key", lambda: self._client.shipment.all(page_size=1))

    def quote(
        self, ship_from: Address, ship_to: Address, parcel: Parcel, *, reference: str
    ) -> Sequence[Rate]:
        """Create a shipment carrying `reference` and return its rates, cheapest first."""
        params = {
            "from_address": convert.address_params(ship_from),
            "to_address": convert.address_params(ship_to),
            "parcel": convert.parcel_params(parcel),
            "reference": reference,
            "options": convert.label_options(self.label_format),
        }
        created = self._call("quote", lambda: self._client.shipment.create(**params))
        shipment = _as_dict(created)
        return _parse(lambda: convert.rates(shipment))

    def buy(self, rate: Rate, *, label_format: LabelFormat, reference: str) -> Label:
        """Buy `rate` on its shipment (one attempt, never retried)."""
        if rate.provider != self.name or not rate.shipment_id:
            raise LabelRejected(f"Rate {rate.rate_id} is not an EasyPost rate of a shipment.")
        shipment_id = rate.shipment_id
        try:
            bought = self._call(
                "buy",
                lambda: self._client.shipment.buy(shipment_id, rate={"id": rate.rate_id}),
                purchase=True,
            )
        except LabelRejected as error:
            if not _already_bought(error.__cause__):
                raise
            existing = self._shipment(shipment_id, "adopt the existing label")
            if existing is None or not convert.is_bought(existing):
                raise
            return self._with_format(existing, label_format)
        try:
            shipment = _as_dict(bought)
            return self._with_format(shipment, label_format)
        except ProviderError as error:
            raise PurchaseOutcomeUnknown(
                f"EasyPost bought the label on {shipment_id} but the answer could not be read: "
                f"{error.message}",
                hint=RECONCILE_HINT,
            ) from error

    def find_purchase(self, *, reference: str, rate: Rate | None) -> Label | None:
        """The label bought for `reference`: on the rate's shipment when the rate is known,
        else by the reference (EasyPost lookup, then the newest bought shipments)."""
        if rate is not None and rate.shipment_id:
            shipment = self._shipment(rate.shipment_id, "reconcile")
            if shipment is not None and convert.is_bought(shipment):
                return self._with_format(shipment, convert.shipment_format(shipment))
        return self._search(reference)

    def _search(self, reference: str) -> Label | None:
        found = self._shipment(reference, "find by reference")
        if found is not None and found.get("reference") == reference and convert.is_bought(found):
            return self._with_format(found, convert.shipment_format(found))
        before: str | None = None
        for _ in range(SEARCH_PAGES):
            params: dict[str, Any] = {"page_size": 100, "purchased": True}
            if before:
                params["before_id"] = before
            page = _as_dict(self._call("search by reference", _lister(self._client, params)))
            shipments = [s for s in page.get("shipments") or [] if isinstance(s, Mapping)]
            for shipment in shipments:
                if shipment.get("reference") == reference and convert.is_bought(shipment):
                    full = dict(shipment)
                    return self._with_format(full, convert.shipment_format(full))
            if not page.get("has_more") or not shipments:
                return None
            before = str(shipments[-1].get("id"))
        return None

    def void(self, label: Label) -> VoidResult:
        """Ask EasyPost to refund the label (asked once: later calls report the state)."""
        shipment_id = label.shipment_id or label.label_id
        current = self._shipment(shipment_id, "void")
        if current is None:
            raise LabelRejected(f"EasyPost has no shipment {shipment_id}.")
        if current.get("refund_status"):
            return convert.void_result(current)
        try:
            refunded = self._call("void", lambda: self._client.shipment.refund(shipment_id))
        except LabelRejected as error:
            return VoidResult(VoidState.REJECTED, error.message)
        return convert.void_result(_as_dict(refunded))

    def track(self, label: Label) -> TrackingUpdate:
        """The tracker of the label's shipment (created free with the purchase)."""
        shipment_id = label.shipment_id or label.label_id
        shipment = self._shipment(shipment_id, "track")
        if shipment is None:
            raise LabelRejected(f"EasyPost has no shipment {shipment_id}.")
        tracker = shipment.get("tracker")
        return _parse(lambda: convert.tracking(tracker if isinstance(tracker, Mapping) else None))

    def download(self, label: Label) -> bytes:
        """The label file; a missing or expired link is fetched afresh from the shipment."""
        url = label.label_url
        if url is not None:
            content = self._fetch(url)
            if content is not None:
                return content
        shipment_id = label.shipment_id or label.label_id
        shipment = self._shipment(shipment_id, "download")
        if shipment is None:
            raise LabelRejected(f"EasyPost has no shipment {shipment_id}.")
        fresh = self._with_format(shipment, label.label_format).label_url
        content = self._fetch(fresh) if fresh else None
        if content is None:
            raise ProviderError(f"EasyPost has no {label.label_format} file for {shipment_id}.")
        return content

    def _fetch(self, url: str) -> bytes | None:
        """The bytes at `url`; None when the link is gone (403/404/410: signed and expired)."""
        timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))
        try:
            with make_client("", timeout=timeout) as client:
                response = client.get(url)
        except httpx.TransportError as error:
            raise NetworkError(
                f"Could not download the label file: {error or type(error).__name__}.",
                may_have_reached_provider=True,
            ) from error
        raise_for_transport(response, now=datetime.now(UTC))
        if response.status_code in (403, 404, 410):
            return None
        if response.status_code != 200 or not response.content:
            raise ProviderError(f"The label file answered HTTP {response.status_code}.")
        return response.content


def _lister(client: EasyPostClient, params: dict[str, Any]) -> Callable[[], object]:
    return lambda: client.shipment.all(**params)


def _already_bought(error: BaseException | None) -> bool:
    if not isinstance(error, EasyPostApiError):
        return False
    code = str(getattr(error, "code", "") or "")
    message = str(getattr(error, "message", "") or "").lower()
    return code in convert.ALREADY_BOUGHT_CODES or (
        error.http_status == 422 and "already" in message and "postage" in message
    )


def _as_dict(obj: object) -> dict[str, Any]:
    """An SDK object (or dict of them) as plain JSON-like data."""
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, dict):
            return result
    raise ProviderError("EasyPost sent an answer CreatorFlow cannot read.")


def _plain(value: object) -> object:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _parse(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except (convert.ParseError, KeyError, TypeError, AttributeError) as error:
        raise ProviderError(f"EasyPost sent an answer CreatorFlow cannot read: {error}") from error
