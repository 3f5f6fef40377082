"""CreatorFlow: TikTok Shop order fulfilment from a packing-station PC.

Nothing is imported here on purpose: `creatorflow --help` must stay fast.
"""

__version__ = "0.1.0"
