"""A faithful local Shippo API for the ``shippo`` 3.9.0 SDK: addresses, shipments and rates,
async label purchases (QUEUED → SUCCESS, ERROR answered 201), refunds, tracks, the documented
rate limits and injected faults. Deterministic from a seed.
"""

from creatorflow.sandbox.shippo.faults import FaultPlan
from creatorflow.sandbox.shippo.limits import LIVE_LIMITS, TEST_LIMITS
from creatorflow.sandbox.shippo.simulator import ShippoSimulator

__all__ = ["LIVE_LIMITS", "TEST_LIMITS", "FaultPlan", "ShippoSimulator"]
