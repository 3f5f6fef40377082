"""The Starlette app: Open API routes behind TikTok's gateway checks, token endpoints,
the seller's authorize page and the label documents.

Faults are injected first (as an overloaded gateway would), then the checks of ``checks`` run,
then the lifecycle catches up and the handler answers inside TikTok's envelope.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from creatorflow.sandbox.pdf import label_pdf
from creatorflow.sandbox.tiktok import fulfilment, labels, products
from creatorflow.sandbox.tiktok.checks import check_app_and_sign
from creatorflow.sandbox.tiktok.errors import INTERNAL, TOO_MANY, ApiError
from creatorflow.sandbox.tiktok.model import Call, Shop
from creatorflow.sandbox.tiktok.orders import parse_order_query

if TYPE_CHECKING:
    from creatorflow.sandbox.tiktok.simulator import TikTokShopSimulator

Handler = Callable[["TikTokShopSimulator", Call], "dict[str, object] | bytes"]
ENCODER = msgspec.json.Encoder()
JSON = "application/json"
NO_SHOP, SHOP, SHOP_OPTIONAL, TOKEN_GET, TOKEN_REFRESH = range(5)


def envelope(request_id: str, data: bytes, code: int = 0, message: str = "Success") -> bytes:
    """``{"code", "message", "request_id", "data"}`` around already-encoded `data`."""
    head = ENCODER.encode({"code": code, "message": message, "request_id": request_id})
    return head[:-1] + b',"data":' + data + b"}"


class ApiRoute:
    """One Open API (or token) endpoint as a raw ASGI app, so faults can cut connections."""

    def __init__(
        self,
        sim: TikTokShopSimulator,
        method: str,
        template: str,
        handler: Handler | None,
        mode: int,
    ) -> None:
        self.sim = sim
        self.name = f"{method} {template}"
        self.template = template
        self.handler = handler
        self.mode = mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        request = Request(scope, receive)
        fault = sim.faults.pick(scope["path"])
        with sim.lock:
            sim.requests[self.name] += 1
        if fault == "drop":
            # Promise a body, send none, and hang up: the client sees a broken response.
            start = {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", JSON.encode()), (b"content-length", b"512")],
            }
            await send(start)
            return
        if fault == "slow":
            await asyncio.sleep(sim.faults.slow_seconds)
        body = await request.body()
        request_id = sim.request_ids.next()
        try:
            if fault == "5xx":
                raise ApiError(*INTERNAL, status=sim.faults.status_for_5xx())
            if fault == "429":
                raise ApiError(*TOO_MANY, status=429)
            with sim.lock:
                data = self._process(request, scope, body)
            status = 200
            payload = envelope(request_id, data, 0, self._success_message())
        except ApiError as error:
            with sim.lock:
                sim.errors[str(error.code)] += 1
            status = error.status
            payload = envelope(request_id, b"null", error.code, error.message)
        await Response(payload, status_code=status, media_type=JSON)(scope, receive, send)

    def _success_message(self) -> str:
        return "success" if self.mode in (TOKEN_GET, TOKEN_REFRESH) else "Success"

    def _process(self, request: Request, scope: Scope, body: bytes) -> bytes:
        sim = self.sim
        query = dict(request.query_params)
        if self.mode in (TOKEN_GET, TOKEN_REFRESH):
            grant = "authorized_code" if self.mode == TOKEN_GET else "refresh_token"
            return ENCODER.encode(sim.auth.token_endpoint(grant, query))
        signed_body = b"" if scope["method"] == "GET" else body
        check_app_and_sign(
            list(request.query_params.multi_items()),
            scope["path"],
            signed_body,
            app_key=sim.app_key,
            app_secret=sim.app_secret,
            wall_now=sim.wall(),
        )
        sim.auth.check_access(request.headers.get("x-tts-access-token"))
        shop = self._shop(query.get("shop_cipher"))
        sim.limiter.take((sim.app_key, shop.id if self.mode != NO_SHOP else "", self.template))
        parsed: dict[str, object] = {}
        if signed_body.strip():
            try:
                decoded = msgspec.json.decode(signed_body)
            except msgspec.DecodeError:
                decoded = None
            if not isinstance(decoded, dict):
                raise ApiError(
                    36009022,
                    "Invalid request body format. The body must be a JSON object.",
                    status=400,
                )
            parsed = decoded
        sim.lifecycle.tick(sim.clock_now())
        base_url = str(request.base_url).rstrip("/")
        call = Call(shop, query, parsed, dict(scope.get("path_params", {})), base_url)
        assert self.handler is not None
        result = self.handler(sim, call)
        return result if isinstance(result, bytes) else ENCODER.encode(result)

    def _shop(self, cipher: str | None) -> Shop:
        sim = self.sim
        if self.mode == NO_SHOP:
            if cipher is not None:
                raise ApiError(
                    36009004,
                    "Unexpected identifier. The `shop_cipher` query parameter "
                    "is not required for this request.",
                    status=400,
                )
            return sim.shops[0]
        if not cipher:
            if self.mode == SHOP_OPTIONAL:
                return sim.shops[0]
            raise ApiError(
                106013,
                "Missing identifier. The shop_cipher query parameter is required",
                status=400,
            )
        for shop in sim.shops:
            if shop.cipher == cipher:
                return shop
        raise ApiError(
            101000,
            "Invalid credentials. The `x-tts-access-token` header is not "
            "authorized for the shop of `shop_cipher`.",
            status=401,
        )


def _shops(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    return {"shops": [s.public() for s in sim.shops]}


def _search_orders(sim: TikTokShopSimulator, call: Call) -> bytes:
    q = parse_order_query(call.query, call.body, sim.page_tokens, sim.clock_now())
    return sim.book.search(call.shop.id, q)


def _order_detail(sim: TikTokShopSimulator, call: Call) -> bytes:
    return sim.book.detail(call.shop.id, call.query.get("ids"))


OPEN_API: tuple[tuple[str, str, Handler, int], ...] = (
    ("GET", "/authorization/202309/shops", _shops, NO_SHOP),
    ("POST", "/order/202309/orders/search", _search_orders, SHOP),
    ("GET", "/order/202309/orders", _order_detail, SHOP),
    ("GET", "/order/202507/orders", _order_detail, SHOP),
    (
        "GET",
        "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers",
        fulfilment.shipping_providers,
        SHOP,
    ),
    ("POST", "/fulfillment/202309/orders/{order_id}/packages", fulfilment.mark_shipped, SHOP),
    (
        "POST",
        "/fulfillment/202309/orders/{order_id}/shipping_info/update",
        fulfilment.update_shipping_info,
        SHOP,
    ),
    ("GET", "/fulfillment/202309/packages/{package_id}", fulfilment.package_detail, SHOP_OPTIONAL),
    ("GET", "/fulfillment/202309/orders/{order_id}/tracking", fulfilment.tracking, SHOP),
    (
        "POST",
        "/fulfillment/202309/orders/{order_id}/shipping_services/query",
        labels.shipping_services,
        SHOP,
    ),
    ("POST", "/fulfillment/202309/packages", labels.create_packages, SHOP),
    (
        "GET",
        "/fulfillment/202309/packages/{package_id}/shipping_documents",
        labels.shipping_document,
        SHOP,
    ),
    ("POST", "/product/202309/products/search", products.search, SHOP),
    ("POST", "/product/202502/products/search", products.search, SHOP),
    ("GET", "/product/202309/products/{product_id}", products.get, SHOP),
    ("POST", "/product/202309/inventory/search", products.inventory_search, SHOP),
    (
        "POST",
        "/product/202309/products/{product_id}/inventory/update",
        products.update_inventory,
        SHOP_OPTIONAL,
    ),
)


def build_app(sim: TikTokShopSimulator) -> Starlette:
    """The ASGI app serving the Open API, the token endpoints and the authorize page."""

    async def authorize(request: Request) -> Response:
        service_id = request.query_params.get("service_id")
        if service_id != sim.service_id:
            return HTMLResponse("<h1>Unknown service_id</h1>", status_code=400)
        state = request.query_params.get("state")
        code = sim.issue_auth_code(state)
        query = {"code": code} | ({"state": state} if state is not None else {})
        url = "https://localhost/callback?" + urlencode(query)
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Authorize app</title>"
            "</head><body><h1>TikTok Shop sandbox: app authorized</h1>"
            "<p>The seller clicked Authorize. TikTok would now redirect to:</p>"
            f"<pre id='redirect'>{html.escape(url)}</pre>"
            "<p>Copy that URL and paste it where CreatorFlow asks for it.</p></body></html>"
        )
        return HTMLResponse(page)

    async def document(request: Request) -> Response:
        name = request.path_params["name"]
        package_id = name.split("-", 1)[0].removesuffix(".pdf")
        with sim.lock:
            package = sim.packages.get(package_id)
        if package is None or not name.endswith(".pdf"):
            return Response(b"not found", status_code=404, media_type="text/plain")
        title = f"USPS  {package.tracking_number}  package {package.id}"
        pdf = label_pdf([title], left=36, top=260)
        return Response(pdf, media_type="application/pdf")

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code, message = (
            (36009010, "Invalid method. The request method is not supported for this path.")
            if status == 405
            else (36009009, "Invalid path. The request path is not found.")
        )
        payload = envelope(sim.request_ids.next(), b"null", code, message)
        return Response(payload, status_code=status, media_type=JSON)

    routes: list[BaseRoute] = [
        Route(
            "/api/v2/token/get",
            ApiRoute(sim, "GET", "/api/v2/token/get", None, TOKEN_GET),
            methods=["GET"],
        ),
        Route(
            "/api/v2/token/refresh",
            ApiRoute(sim, "GET", "/api/v2/token/refresh", None, TOKEN_REFRESH),
            methods=["GET"],
        ),
        Route("/open/authorize", authorize, methods=["GET"]),
        Route("/sandbox/documents/{name}", document, methods=["GET"]),
    ]
    for method, template, handler, mode in OPEN_API:
        routes.append(
            Route(template, ApiRoute(sim, method, template, handler, mode), methods=[method])
        )
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
