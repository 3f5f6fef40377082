"""The vendor's hosted billing service, `creatorflow-billing` (DESIGN §7, `docs/billing-api.md`).

An ASGI app with its own store, the only holder of the Stripe secret key. It shares no code path
with the local tool (an import-linter contract says so): the local tool talks to it over HTTP.
Nothing heavy is imported here; build the app with `creatorflow.billing_service.app.create_app`.
"""
