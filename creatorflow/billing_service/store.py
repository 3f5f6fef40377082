"""The service's store: accounts, installs, device codes, plans, subscriptions, webhooks, usage.

Every method is one transaction. Writers begin with `BEGIN IMMEDIATE` on SQLite so two requests
never both read and then both fail to upgrade to the write lock. Times are Unix seconds passed in
by the caller (the app's clock), so tests control them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from creatorflow.billing_service.db import (
    SQLITE_BEGIN,
    accounts,
    create_tables,
    device_codes,
    installs,
    plans,
    subscriptions,
    usage_ledger,
    webhook_events,
)
from creatorflow.billing_service.latest import apply_subscription
from creatorflow.billing_service.records import (
    Account,
    DeviceCode,
    Install,
    Plan,
    SubscriptionState,
    UsageEvent,
    account_from_row,
    device_from_row,
    new_id,
    plan_from_row,
    subscription_from_row,
    token_hash,
)


class BillingStore:
    """The service's tables behind one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"

    def create_tables(self) -> None:
        """Create missing tables (no migrations yet: see `creatorflow.billing_service.db`)."""
        create_tables(self.engine)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- accounts and installs -------------------------------------------------------------

    def account(self, account_id: str) -> Account | None:
        """The account with this id."""
        with self._read() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        return account_from_row(row)

    def account_by_customer(self, customer_id: str) -> Account | None:
        """The account linked to this Stripe customer."""
        with self._read() as conn:
            row = conn.execute(
                select(accounts).where(accounts.c.stripe_customer_id == customer_id)
            ).first()
        return account_from_row(row)

    def link_customer(self, account_id: str, customer_id: str) -> None:
        """Remember the account's Stripe customer (first link wins)."""
        with self._write() as conn:
            conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id, accounts.c.stripe_customer_id.is_(None))
                .values(stripe_customer_id=customer_id)
            )

    def install_for_token(self, token: str) -> Install | None:
        """The live (not revoked) install this token authenticates."""
        with self._read() as conn:
            row = conn.execute(
                select(installs.c.id, installs.c.account_id, installs.c.station).where(
                    installs.c.token_hash == token_hash(token), installs.c.revoked_at.is_(None)
                )
            ).first()
        return Install(row.id, row.account_id, row.station) if row else None

    def revoke_install(self, install_id: str, now: int) -> None:
        """Revoke an install: its token stops working at once."""
        with self._write() as conn:
            conn.execute(
                update(installs)
                .where(installs.c.id == install_id, installs.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    # -- device login ----------------------------------------------------------------------

    def create_device_code(self, code: DeviceCode, now: int) -> bool:
        """Store a new device code; False if its user code is already taken."""
        try:
            with self._write() as conn:
                conn.execute(
                    insert(device_codes).values(
                        code_hash=code.code_hash,
                        user_code=code.user_code,
                        station=code.station,
                        created_at=now,
                        expires_at=code.expires_at,
                        interval=code.interval,
                        status="pending",
                    )
                )
        except IntegrityError:
            return False
        return True

    def purge_device_codes(self, now: int) -> None:
        """Forget device codes that expired more than a day ago (their user codes come free)."""
        with self._write() as conn:
            conn.execute(device_codes.delete().where(device_codes.c.expires_at < now - 86_400))

    def device_by_user_code(self, user_code: str) -> DeviceCode | None:
        """The device login showing this user code."""
        with self._read() as conn:
            row = conn.execute(
                select(device_codes).where(device_codes.c.user_code == user_code)
            ).first()
        return device_from_row(row)

    def poll_device(self, code_hash: str, now: int) -> tuple[DeviceCode | None, bool]:
        """Record a poll; returns the code as it was and whether the poll came too soon.

        Too soon (before `interval` has passed since the last poll) adds 5 s to the interval,
        as RFC 8628 §3.5 asks of `slow_down`.
        """
        with self._write() as conn:
            row = conn.execute(
                select(device_codes).where(device_codes.c.code_hash == code_hash)
            ).first()
            code = device_from_row(row)
            if code is None:
                return None, False
            too_soon = code.last_polled_at is not None and now - code.last_polled_at < code.interval
            values: dict[str, int] = {"last_polled_at": now}
            if too_soon and code.status == "pending":
                values["interval"] = code.interval + 5
            conn.execute(
                update(device_codes).where(device_codes.c.code_hash == code_hash).values(values)
            )
        return code, too_soon

    def decide_device(self, user_code: str, email: str | None, approve: bool, now: int) -> bool:
        """Approve (for the account with `email`, created if new) or deny a pending login."""
        with self._write() as conn:
            row = conn.execute(
                select(device_codes).where(
                    device_codes.c.user_code == user_code,
                    device_codes.c.status == "pending",
                    device_codes.c.expires_at > now,
                )
            ).first()
            if row is None:
                return False
            account_id = None
            if approve and email is not None:
                account_id = _account_for_email(conn, email, now)
            conn.execute(
                update(device_codes)
                .where(device_codes.c.code_hash == row.code_hash)
                .values(status="approved" if approve else "denied", account_id=account_id)
            )
        return True

    def exchange_device_code(self, code_hash: str, station: str, now: int) -> tuple[str, str, str]:
        """Turn an approved device code into an install: (install token, install id, account).

        Raises:
            LookupError: the code is not (or no longer) approved.
        """
        token = f"cfi_{secrets.token_urlsafe(32)}"
        install_id = new_id("ins")
        with self._write() as conn:
            row = conn.execute(
                update(device_codes)
                .where(device_codes.c.code_hash == code_hash, device_codes.c.status == "approved")
                .values(status="consumed")
                .returning(device_codes.c.account_id)
            ).first()
            if row is None or row.account_id is None:
                raise LookupError("the device code is not approved")
            conn.execute(
                insert(installs).values(
                    id=install_id,
                    account_id=row.account_id,
                    token_hash=token_hash(token),
                    station=station,
                    created_at=now,
                )
            )
        return token, install_id, row.account_id

    # -- plans -----------------------------------------------------------------------------

    def plans(self) -> list[Plan]:
        """Every plan, cheapest limit first."""
        with self._read() as conn:
            rows = conn.execute(select(plans).order_by(plans.c.order_limit, plans.c.name)).all()
        return [plan_from_row(row) for row in rows]

    def plan(self, name: str) -> Plan | None:
        """The plan with this name."""
        with self._read() as conn:
            row = conn.execute(select(plans).where(plans.c.name == name)).first()
        return plan_from_row(row) if row else None

    def set_plan(self, plan: Plan, now: int) -> None:
        """Create or replace a plan (a new lookup key forgets the cached price)."""
        with self._write() as conn:
            conn.execute(plans.delete().where(plans.c.name == plan.name))
            conn.execute(
                insert(plans).values(
                    name=plan.name,
                    price_lookup_key=plan.price_lookup_key,
                    order_limit=plan.order_limit,
                    price_id=plan.price_id,
                    amount=plan.amount,
                    currency=plan.currency,
                    interval=plan.interval,
                    updated_at=now,
                )
            )

    def cache_price(
        self,
        name: str,
        price_id: str,
        amount: int | None,
        currency: str | None,
        interval: str | None,
    ) -> None:
        """Remember the Stripe price behind a plan's lookup key."""
        with self._write() as conn:
            conn.execute(
                update(plans)
                .where(plans.c.name == name)
                .values(price_id=price_id, amount=amount, currency=currency, interval=interval)
            )

    def plan_names_by_lookup_key(self) -> dict[str, str]:
        """Plan names keyed by price lookup key."""
        return {p.price_lookup_key: p.name for p in self.plans()}

    # -- subscriptions and webhooks --------------------------------------------------------

    def subscription(self, account_id: str) -> SubscriptionState | None:
        """The account's current subscription, if it ever had one."""
        with self._read() as conn:
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.account_id == account_id)
            ).first()
        return subscription_from_row(row)

    def seen_event(self, event_id: str) -> bool:
        """Whether this webhook event was already handled."""
        with self._read() as conn:
            found = conn.execute(
                select(webhook_events.c.event_id).where(webhook_events.c.event_id == event_id)
            ).first()
        return found is not None

    def record_event(
        self,
        event_id: str,
        event_type: str,
        created: int,
        now: int,
        state: SubscriptionState | None = None,
    ) -> bool:
        """Mark a webhook event handled and apply its subscription state, in one transaction.

        Returns False (and changes nothing) when the event was already handled.
        """
        # On PostgreSQL two deliveries racing each other can both insert: the loser's unique
        # violation rolls its transaction back, and trying again sees the winner's rows.
        try:
            return self._record_event_once(event_id, event_type, created, now, state)
        except IntegrityError:
            return self._record_event_once(event_id, event_type, created, now, state)

    def _record_event_once(
        self,
        event_id: str,
        event_type: str,
        created: int,
        now: int,
        state: SubscriptionState | None,
    ) -> bool:
        with self._write() as conn:
            if conn.execute(
                select(webhook_events.c.event_id).where(webhook_events.c.event_id == event_id)
            ).first():
                return False
            conn.execute(
                insert(webhook_events).values(
                    event_id=event_id, type=event_type, created=created, received_at=now
                )
            )
            if state is not None:
                apply_subscription(conn, state, now)
        return True

    # -- usage -----------------------------------------------------------------------------

    def record_usage(
        self, account_id: str, events: Sequence[UsageEvent], period_start: int, now: int
    ) -> list[str]:
        """Insert the events the ledger has not seen; returns the ids newly accepted."""
        if not events:
            return []
        rows = [
            {
                "event_id": e.event_id,
                "account_id": account_id,
                "period_start": period_start,
                "order_id": e.order_id,
                "occurred_at": e.occurred_at,
                "received_at": now,
            }
            for e in events
        ]
        dialect = sqlite if self._sqlite else postgresql
        stmt = (
            dialect.insert(usage_ledger)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(usage_ledger.c.event_id)
        )
        with self._write() as conn:
            return [row.event_id for row in conn.execute(stmt)]

    def count_usage(self, account_id: str, start: int, end: int) -> int:
        """Events of the account that occurred in [start, end)."""
        with self._read() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(
                        usage_ledger.c.account_id == account_id,
                        usage_ledger.c.occurred_at >= start,
                        usage_ledger.c.occurred_at < end,
                    )
                ).scalar_one()
            )

    def unforwarded_usage(self, account_id: str, since: int, limit: int) -> list[UsageEvent]:
        """Events not yet forwarded to the Billing Meter, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                select(usage_ledger.c.event_id, usage_ledger.c.order_id, usage_ledger.c.occurred_at)
                .where(
                    usage_ledger.c.account_id == account_id,
                    usage_ledger.c.forwarded.is_(None),
                    usage_ledger.c.occurred_at >= since,
                )
                .order_by(usage_ledger.c.occurred_at)
                .limit(limit)
            ).all()
        return [UsageEvent(r.event_id, r.order_id, r.occurred_at) for r in rows]

    def mark_forwarded(self, outcomes: Iterable[tuple[str, str]]) -> None:
        """Record the Billing Meter outcome (`sent`, `duplicate`, `rejected`) of events."""
        pairs = list(outcomes)
        if not pairs:
            return
        with self._write() as conn:
            for event_id, outcome in pairs:
                conn.execute(
                    update(usage_ledger)
                    .where(usage_ledger.c.event_id == event_id)
                    .values(forwarded=outcome)
                )


def _account_for_email(conn: Connection, email: str, now: int) -> str:
    found = conn.execute(select(accounts.c.id).where(accounts.c.email == email)).first()
    if found is not None:
        return str(found.id)
    account_id = new_id("acc")
    conn.execute(insert(accounts).values(id=account_id, email=email, created_at=now))
    return account_id
