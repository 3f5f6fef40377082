"""The hosted pages a sandbox user visits in a browser: Checkout and the Customer Portal.

Plain HTML forms, no scripts: each button POSTs to a ``/_sim`` control route, which redirects
(303) to the session's ``success_url``/``cancel_url`` or back to the portal page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from creatorflow.sandbox.stripe.model import CheckoutSession, PortalSession, Price, price_amount

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;"
    "color:#1a1f36}table{width:100%;border-collapse:collapse}td{padding:.4rem 0}"
    "button{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem .3rem 0;cursor:pointer}"
    ".pay{background:#635bff;color:#fff;border:0;border-radius:4px}"
    ".note{color:#697386;font-size:.9rem}.box{border:1px solid #e3e8ee;border-radius:6px;"
    "padding:1rem;margin:1rem 0}"
)


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}"
        "<p class='note'>CreatorFlow sandbox: a simulated Stripe page. No money moves.</p>"
        "</body></html>"
    )


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:,.2f} {currency.upper()}"


def _price_label(sim: StripeSimulator, price: Price) -> str:
    name = sim.products[price.product].name
    if price.recurring is None:
        return name
    rec = price.recurring
    every = rec.interval if rec.interval_count == 1 else f"{rec.interval_count} {rec.interval}s"
    if rec.usage_type == "metered":
        return f"{name} (metered, per {every})"
    return f"{name}: {_money(price_amount(price, Decimal(1)), price.currency)} / {every}"


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def message(title: str, text: str, link: str | None = None) -> str:
    """A small page with a message and an optional link onwards."""
    more = f"<p><a href='{escape(link, quote=True)}'>Continue</a></p>" if link else ""
    return _page(title, f"<p>{escape(text)}</p>{more}")


def checkout(sim: StripeSimulator, s: CheckoutSession) -> str:
    """The hosted Checkout page: the order, then "Pay" and "Decline"."""
    rows = "".join(
        f"<tr><td>{escape(_price_label(sim, sim.prices[li.price]))}</td>"
        f"<td>x {li.quantity if li.quantity is not None else 'usage'}</td></tr>"
        for li in s.line_items
    )
    if s.status != "open":
        return message("Checkout", f"This checkout session is {s.status}.", s.success_url)
    trial = f"<p>Free trial: {s.trial_period_days} days.</p>" if s.trial_period_days else ""
    who = escape(s.customer_email or (s.customer or "a new customer"))
    base = f"/_sim/checkout/{escape(s.id, quote=True)}"
    body = (
        f"<div class='box'><p>Subscribe as <b>{who}</b></p><table>{rows}</table>{trial}</div>"
        f"<form method='post' action='{base}/pay' style='display:inline'>"
        "<button class='pay' type='submit'>Pay</button></form>"
        f"<form method='post' action='{base}/decline' style='display:inline'>"
        "<button type='submit'>Decline</button></form>"
        "<p class='note'>“Decline” simulates a declined card and returns you to the cancel "
        "page; the session stays open.</p>"
    )
    return _page("Checkout", body)


def portal(sim: StripeSimulator, s: PortalSession) -> str:
    """The Customer Portal: each live subscription with plan switches and cancellation."""
    base = f"/_sim/portal/{escape(s.id, quote=True)}"
    boxes = []
    subs = [
        x
        for x in sim.subscriptions.values()
        if x.customer == s.customer and x.status in ("active", "trialing", "past_due")
    ]
    choices = [
        p
        for p in sim.prices.values()
        if p.active and p.recurring is not None and p.recurring.usage_type == "licensed"
    ]
    for sub in sorted(subs, key=lambda x: x.seq):
        current = sim.prices[sub.items[0].price]
        hidden = (
            f"<input type='hidden' name='subscription' value='{escape(sub.id, quote=True)}'>"
            "<input type='hidden' name='redirect' value='1'>"
        )
        switches = "".join(
            f"<form method='post' action='{base}/switch_price' style='display:inline'>{hidden}"
            f"<input type='hidden' name='price' value='{escape(p.id, quote=True)}'>"
            f"<button type='submit'>Switch to {escape(_price_label(sim, p))}</button></form>"
            for p in choices
            if p.id != current.id and p.currency == sub.currency
        )
        end = sub.period()[1]
        if sub.cancel_at_period_end:
            state = f"Cancels on {_date(end)}."
            toggle = (
                f"<form method='post' action='{base}/reactivate' style='display:inline'>"
                f"{hidden}<button type='submit'>Don't cancel</button></form>"
            )
        else:
            state = f"Renews on {_date(end)}."
            toggle = (
                f"<form method='post' action='{base}/cancel_at_period_end' "
                f"style='display:inline'>{hidden}"
                "<button type='submit'>Cancel at period end</button></form>"
            )
        cancel = (
            f"<form method='post' action='{base}/cancel_now' style='display:inline'>"
            f"{hidden}<button type='submit'>Cancel now</button></form>"
        )
        boxes.append(
            f"<div class='box'><p><b>{escape(_price_label(sim, current))}</b> "
            f"({escape(sub.status)})</p><p>{state}</p><p>{switches}</p><p>{toggle}{cancel}</p>"
            "</div>"
        )
    if not boxes:
        boxes.append("<p>No active subscriptions.</p>")
    back = ""
    if s.return_url:
        back = f"<p><a href='{escape(s.return_url, quote=True)}'>Return to CreatorFlow</a></p>"
    return _page("Manage your subscription", "".join(boxes) + back)
