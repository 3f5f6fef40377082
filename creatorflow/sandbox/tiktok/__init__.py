"""A faithful local TikTok Shop: Open API 202309, token endpoints, lifecycle, faults, webhooks.

Which HTTP status goes with which TikTok error code is listed in ``errors``.
"""

from creatorflow.sandbox.tiktok.faults import FaultPlan
from creatorflow.sandbox.tiktok.simulator import TikTokShopSimulator

__all__ = ["FaultPlan", "TikTokShopSimulator"]
