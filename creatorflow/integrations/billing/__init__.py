"""The CreatorFlow billing service, seen from the local tool: its HTTP client and the offline
check of the entitlement tokens it signs (``docs/billing-api.md``)."""
