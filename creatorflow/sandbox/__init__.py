"""Faithful local simulators of the outside world (TikTok Shop first), served on loopback.

Nothing is imported eagerly: ``creatorflow --help`` must not pay for uvicorn or Starlette.
"""
