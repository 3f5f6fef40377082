"""A faithful local Stripe Billing API for the ``stripe`` 16.x SDK (pinned API
``2026-10-28.endive``): customers, products and prices, subscription Checkout and the Customer
Portal with hosted pages of its own, subscriptions with periods on their items, invoices and
dunning, Billing Meters, signed webhooks with retries and test switches, idempotency keys and
injected faults. Deterministic from a seed; time from a shared :class:`SimClock`.
"""

from creatorflow.sandbox.stripe.delivery import sign
from creatorflow.sandbox.stripe.errors import ApiError
from creatorflow.sandbox.stripe.faults import FaultPlan
from creatorflow.sandbox.stripe.simulator import API_VERSION, StripeSimulator

__all__ = ["API_VERSION", "ApiError", "FaultPlan", "StripeSimulator", "sign"]
