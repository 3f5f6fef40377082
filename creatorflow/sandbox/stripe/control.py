"""``/_sim`` control routes (no API key): the hosted pages, test hooks and the delivery log.

Parameters come from the query string, a form body or a JSON object body. Every route maps to
a :class:`StripeSimulator` method; errors answer ``{"error": {...}}`` with Stripe's statuses.
Routes that change state run the simulator method in a worker thread, so synchronous webhook
deliveries may call the API back.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from creatorflow.sandbox.stripe import errors, pages

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

ENCODER = msgspec.json.Encoder()
Endpoint = Callable[[Request], Awaitable[Response]]


def _json(status: int, body: object) -> Response:
    return Response(ENCODER.encode(body), status_code=status, media_type="application/json")


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    body = await request.body()
    if not body.strip():
        return params
    if request.headers.get("content-type", "").startswith("application/json"):
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise errors.invalid("Expected a JSON object.")
        params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in decoded.items()})
    else:
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    return params


def _guard(endpoint: Endpoint) -> Endpoint:
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except errors.ApiError as error:
            return _json(error.status, error.body("req_sim"))
        except (ValueError, KeyError) as error:
            return _json(400, {"error": {"type": "invalid_request_error", "message": str(error)}})

    return run


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "yes", "on")


def control_routes(sim: StripeSimulator) -> Iterator[Route]:
    """The ``/_sim`` routes of `sim`."""

    async def stats(request: Request) -> Response:
        return _json(200, sim.stats())

    async def reset(request: Request) -> Response:
        p = await _params(request)
        keep = _flag(p.get("keep_webhook_endpoints", "true"))
        await run_in_threadpool(lambda: sim.reset(keep_webhook_endpoints=keep))
        return _json(200, {"reset": True, "kept_webhook_endpoints": keep})

    async def clock(request: Request) -> Response:
        return _json(200, {"now": sim.timestamp()})

    async def advance(request: Request) -> Response:
        p = await _params(request)
        seconds = float(p.get("seconds", "0")) + 86400 * float(p.get("days", "0"))
        await run_in_threadpool(sim.advance, timedelta(seconds=seconds))
        return _json(200, {"now": sim.timestamp()})

    async def checkout_page(request: Request) -> Response:
        session_id = request.path_params["id"]
        with sim.lock:
            sim.catch_up()
            s = sim.checkout_sessions.get(session_id)
            html = pages.checkout(sim, s) if s is not None else None
        if html is None:
            return HTMLResponse(pages.message("Checkout", "No such checkout session."), 404)
        return HTMLResponse(html)

    async def complete(request: Request) -> Response:
        p = await _params(request)
        outcome = p.get("outcome", "success")
        result = await run_in_threadpool(sim.complete_checkout, request.path_params["id"], outcome)
        return _json(200, result)

    def _finish(outcome: str) -> Endpoint:
        async def run(request: Request) -> Response:
            session_id = request.path_params["id"]
            result = await run_in_threadpool(sim.complete_checkout, session_id, outcome)
            target = result["success_url"] if outcome == "success" else result["cancel_url"]
            if target:
                return RedirectResponse(
                    str(target).replace("{CHECKOUT_SESSION_ID}", session_id), status_code=303
                )
            text = "Payment complete." if outcome == "success" else "The card was declined."
            return HTMLResponse(pages.message("Checkout", text))

        return run

    async def portal_page(request: Request) -> Response:
        session_id = request.path_params["id"]
        with sim.lock:
            sim.catch_up()
            s = sim.portal_sessions.get(session_id)
            html = pages.portal(sim, s) if s is not None else None
        if html is None:
            return HTMLResponse(pages.message("Portal", "No such portal session."), 404)
        return HTMLResponse(html)

    def _portal(action: str) -> Endpoint:
        async def run(request: Request) -> Response:
            session_id = request.path_params["id"]
            p = await _params(request)
            result = await run_in_threadpool(
                sim.portal_action, session_id, action, p.get("subscription"), p.get("price")
            )
            if _flag(p.get("redirect")):
                return RedirectResponse(f"/_sim/portal/{session_id}", status_code=303)
            return _json(200, result)

        return run

    async def fail_payments(request: Request) -> Response:
        p = await _params(request)
        sim.fail_next_payment(int(p.get("n", "1")))
        return _json(200, {"payments_to_fail": sim.payments_to_fail})

    async def deliveries(request: Request) -> Response:
        return _json(200, {"object": "list", "data": sim.deliveries})

    async def flush(request: Request) -> Response:
        delivered = await run_in_threadpool(sim.deliver_webhooks)
        return _json(200, {"delivered": delivered})

    async def webhook_settings(request: Request) -> Response:
        p = await _params(request)
        for name in ("duplicate_deliveries", "shuffle_deliveries", "sign_with_wrong_secret"):
            if name in p:
                setattr(sim, name, _flag(p[name]))
        return _json(
            200,
            {
                "duplicate_deliveries": sim.duplicate_deliveries,
                "shuffle_deliveries": sim.shuffle_deliveries,
                "sign_with_wrong_secret": sim.sign_with_wrong_secret,
            },
        )

    async def add_endpoint(request: Request) -> Response:
        p = await _params(request)
        events = [e for e in p.get("enabled_events", "*").split(",") if e]
        result = sim.add_webhook_endpoint(p["url"], events, secret=p.get("secret"))
        return _json(200, result)

    async def faults(request: Request) -> Response:
        p = await _params(request)
        retry = p.get("should_retry")
        sim.faults.fail_next(
            int(p.get("n", "1")),
            p["kind"],
            p.get("path_prefix"),
            should_retry=None if retry is None else _flag(retry),
        )
        return _json(200, {"scheduled": True})

    async def clear_faults(request: Request) -> Response:
        sim.faults.clear()
        return _json(200, {"cleared": True})

    async def settings(request: Request) -> Response:
        p = await _params(request)
        return _json(
            200,
            sim.configure(
                payment_retries=int(p["payment_retries"]) if "payment_retries" in p else None,
                payment_retry_interval=(
                    timedelta(seconds=float(p["payment_retry_interval_seconds"]))
                    if "payment_retry_interval_seconds" in p
                    else None
                ),
                failed_subscription_outcome=p.get("failed_subscription_outcome"),
            ),
        )

    table: list[tuple[str, Endpoint, list[str]]] = [
        ("/_sim/stats", stats, ["GET"]),
        ("/_sim/reset", reset, ["POST"]),
        ("/_sim/clock", clock, ["GET"]),
        ("/_sim/clock/advance", advance, ["POST"]),
        ("/_sim/checkout/{id}", checkout_page, ["GET"]),
        ("/_sim/checkout/{id}/complete", complete, ["POST"]),
        ("/_sim/checkout/{id}/pay", _finish("success"), ["POST"]),
        ("/_sim/checkout/{id}/decline", _finish("fail"), ["POST"]),
        ("/_sim/portal/{id}", portal_page, ["GET"]),
        ("/_sim/payments/fail_next", fail_payments, ["POST"]),
        ("/_sim/webhooks/deliveries", deliveries, ["GET"]),
        ("/_sim/webhooks/flush", flush, ["POST"]),
        ("/_sim/webhooks/settings", webhook_settings, ["GET", "POST"]),
        ("/_sim/webhooks/endpoints", add_endpoint, ["POST"]),
        ("/_sim/faults", faults, ["POST"]),
        ("/_sim/faults/clear", clear_faults, ["POST"]),
        ("/_sim/settings", settings, ["GET", "POST"]),
    ]
    for action in ("switch_price", "cancel_at_period_end", "reactivate", "cancel_now"):
        table.append((f"/_sim/portal/{{id}}/{action}", _portal(action), ["POST"]))
    for path, endpoint, methods in table:
        yield Route(path, _guard(endpoint), methods=methods)
