"""A faithful local EasyPost (API v2 as the ``easypost`` 10.7 SDK calls it): shipments and
rates, label purchase, label conversion, refunds, trackers moving with a simulated clock,
faults and rate limits.

Response shapes follow EasyPost's recorded responses; the error codes and statuses it uses are
listed in ``errors``.
"""

from creatorflow.sandbox.easypost.faults import FaultPlan
from creatorflow.sandbox.easypost.model import Timing
from creatorflow.sandbox.easypost.simulator import EasyPostSimulator

__all__ = ["EasyPostSimulator", "FaultPlan", "Timing"]
