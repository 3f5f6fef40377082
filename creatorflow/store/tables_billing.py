"""Billing tables: this install's sign-in and cached entitlement, and the usage outbox.

``billing_state`` has one row once the install is signed in to the billing service (the
install token itself lives in the secret store). ``usage_outbox`` gets one row per labelled
order, written in the transaction that records its first label, and is flushed to the service
at least once; the row's ``event_id`` is deterministic, so a re-buy or a second station adds
nothing and a replayed batch counts once on the service.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from creatorflow.store.base import Base, utcnow


class BillingState(Base):
    """This install's billing sign-in and the newest entitlement token accepted (one row)."""

    __tablename__ = "billing_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=1)
    install_id: Mapped[str]
    account_id: Mapped[str]
    #: The signed ``cfe1.`` token, re-verified whenever it is read.
    token: Mapped[str | None] = mapped_column(Text)
    #: ``iat`` of the newest token accepted: an older one is refused (anti-rollback).
    newest_iat: Mapped[datetime | None]
    #: The latest wall-clock time seen; a clock far behind it is a rolled-back clock.
    trusted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UsageEvent(Base):
    """One labelled order, to be reported to the billing service (at least once)."""

    __tablename__ = "usage_outbox"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index(None, "sent_at", "occurred_at"),
        Index(None, "order_id"),
    )

    #: hex SHA-256 of ``labelled/<shop_id>/<order_id>`` (``docs/billing-api.md``).
    event_id: Mapped[str] = mapped_column(primary_key=True)
    # No foreign keys: usage must outlive any clean-up of old orders.
    shop_id: Mapped[str]
    order_id: Mapped[str]
    occurred_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
