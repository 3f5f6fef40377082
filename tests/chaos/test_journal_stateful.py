"""A Hypothesis state machine over the label journal: crash, lose answers, wait, heal.

The real ``label_buying`` code runs against a real SQLite store and the TikTok Shop
simulator (order re-reads); only the label provider is a fake (:class:`FakeLabels`): an
in-memory provider that counts purchases per reference — the judge of "bought twice" — and
can be told to lose its next answer after buying, time out before buying, refuse (429),
reject for good, or fail a reconcile lookup. Like Shippo, it finds a purchase by reference
*and* rate, so a retry that forgot which rate it tried would not find it.

Rules: approve orders, run one worker step (optionally "crashing" the worker at a crash
point, which leaves its claim behind), advance the clock (past the 5-minute lease or not),
queue provider faults. Invariants after every step: no reference bought twice, nothing
bought that was not approved, and each order's stage, shipment row and journal entry agree
with each other and with the provider. The teardown heals (clock an hour on, faults off, buy
until the queue is empty) and checks that every approved order is labelled exactly once (or,
if the provider rejected it for good, needs attention with nothing bought).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from creatorflow.config.paths import resolve_paths
from creatorflow.domain.stages import Stage
from creatorflow.errors import RateLimitedError
from creatorflow.http_server import serve
from creatorflow.integrations.http import TransientHTTPError
from creatorflow.integrations.shipping.base import (
    Address,
    Label,
    LabelFormat,
    LabelRejected,
    Parcel,
    PurchaseOutcomeUnknown,
    Rate,
    TrackingUpdate,
    VoidResult,
)
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.secrets import SecretStore
from creatorflow.secrets.backends import MemoryBackend
from creatorflow.services import label_providers
from creatorflow.services.approval import approve_orders, label_key
from creatorflow.services.context import Services
from creatorflow.services.demo import SHIP_FROM
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.label_providers import ProviderSet, Throttle
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.parcels import set_parcel
from creatorflow.services.product_sync import list_products, sync_products
from creatorflow.services.setup import initialize as initialize_home
from creatorflow.services.tiktok_connection import connect_tiktok
from creatorflow.store.tables import Effect, EffectState, Order, Shipment, ShipmentState

ORDERS = 8
CRASH_POINTS = ("before_buy", "after_buy", "before_record")
BUY_FAULTS = ("lost", "timeout", "refused", "rejected", "5xx_after_buying")
FIND_FAULTS = ("find_timeout", "find_refused")
QUOTE_FAULTS = ("quote_5xx",)
LEASE = timedelta(minutes=5)
HEAL_ROUNDS = 12


class SimulatedCrash(BaseException):
    """The worker process dying at a crash point (nothing may catch it)."""


# -- the fake provider ------------------------------------------------------------------------


class FakeLabels:
    """An in-memory label provider with a queue of faults, counting purchases per reference."""

    name = "fake"

    def __init__(self) -> None:
        self.purchases: Counter[str] = Counter()
        self.labels: dict[str, Label] = {}
        self.rejected: set[str] = set()
        #: Faults waiting for the next call of their kind: "buy", "find" or "quote".
        self.faults: dict[str, deque[str]] = {"buy": deque(), "find": deque(), "quote": deque()}
        self._ids = itertools.count(1)

    def add_fault(self, kind: str) -> None:
        call = "buy" if kind in BUY_FAULTS else "find" if kind in FIND_FAULTS else "quote"
        self.faults[call].append(kind)

    def clear_faults(self) -> None:
        for queue in self.faults.values():
            queue.clear()

    def _fault(self, call: str) -> str | None:
        queue = self.faults[call]
        return queue.popleft() if queue else None

    def quote(
        self, ship_from: Address, ship_to: Address, parcel: Parcel, *, reference: str
    ) -> Sequence[Rate]:
        if self._fault("quote"):
            raise TransientHTTPError("The fake provider answered 503.", status=503)
        n = next(self._ids)
        return [
            Rate(
                provider=self.name,
                rate_id=f"rate-{n}",
                shipment_id=f"shp-{n}",
                carrier="UPS",
                service="Ground",
                service_token="ups_ground",
                amount=Decimal("7.25"),
                currency="USD",
                estimated_days=3,
            )
        ]

    def buy(self, rate: Rate, *, label_format: LabelFormat, reference: str) -> Label:
        fault = self._fault("buy")
        if fault == "timeout":
            raise PurchaseOutcomeUnknown("The fake provider timed out (nothing bought).")
        if fault == "refused":
            raise RateLimitedError("The fake provider answered 429.", retry_after=20)
        if fault == "rejected":
            self.rejected.add(reference)
            raise LabelRejected("The fake provider refused this address.")
        self.purchases[reference] += 1
        n = next(self._ids)
        label = Label(
            provider=self.name,
            label_id=f"txn-{n}",
            tracking_number=f"1Z{n:016d}",
            carrier=rate.carrier,
            service=rate.service,
            cost=rate.amount,
            currency=rate.currency,
            label_url=f"https://fake.invalid/labels/{n}.pdf",
            label_format=label_format,
            rate_id=rate.rate_id,
            shipment_id=rate.shipment_id,
        )
        self.labels[reference] = label
        if fault == "lost":
            raise PurchaseOutcomeUnknown("The fake provider's answer was lost (label bought).")
        if fault == "5xx_after_buying":
            raise TransientHTTPError("The fake provider answered 502 (label bought).", status=502)
        return label

    def find_purchase(self, *, reference: str, rate: Rate | None) -> Label | None:
        fault = self._fault("find")
        if fault == "find_timeout":
            raise PurchaseOutcomeUnknown("The fake provider's lookup timed out.")
        if fault == "find_refused":
            raise RateLimitedError("The fake provider's lookup answered 429.", retry_after=5)
        label = self.labels.get(reference)
        if label is None or (rate is not None and label.rate_id != rate.rate_id):
            return None
        return label

    def download(self, label: Label) -> bytes:
        return b"%PDF-1.4 fake label " + label.label_id.encode()

    def void(self, label: Label) -> VoidResult:
        raise NotImplementedError

    def track(self, label: Label) -> TrackingUpdate:
        raise NotImplementedError


# -- a synced shop, copied for every example --------------------------------------------------


@dataclass
class ShopTemplate:
    """A home with a connected, synced, parcelled shop; each example copies its data folder."""

    environ: dict[str, str]
    data_dir: Path
    secrets: dict[str, str]
    order_ids: list[str]
    shop_id: str
    scratch: Path

    def new_services(self) -> Services:
        home = Path(tempfile.mkdtemp(dir=self.scratch))
        environ = {**self.environ, "CREATORFLOW_HOME": str(home)}
        paths = resolve_paths(environ)
        shutil.copytree(self.data_dir, paths.data_dir, dirs_exist_ok=True)
        store = SecretStore([MemoryBackend(self.secrets)])
        return Services(paths=paths, environ=environ, secret_store=store)


@pytest.fixture(scope="module")
def shop_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopTemplate]:
    root = tmp_path_factory.mktemp("journal")
    tiktok = TikTokShopSimulator(seed=5, qps=1000, product_count=3)
    tiktok.generate_orders(ORDERS + 4, spread=timedelta(hours=10), status="AWAITING_SHIPMENT")
    with serve(tiktok.app) as server:
        environ = {
            "CREATORFLOW_HOME": str(root / "template"),
            "CREATORFLOW_TIKTOK_API_BASE": server.base_url,
            "CREATORFLOW_TIKTOK_AUTH_BASE": server.base_url,
            "CREATORFLOW_TIKTOK_APP_KEY": tiktok.app_key,
            **{f"CREATORFLOW_SHIP_FROM_{key}": value for key, value in SHIP_FROM.items()},
        }
        backend = MemoryBackend({"tiktok_app_secret": tiktok.app_secret})
        services = Services(
            paths=resolve_paths(environ), environ=environ, secret_store=SecretStore([backend])
        )
        try:
            initialize_home(services)
            connect_tiktok(services, auth_code=tiktok.issue_auth_code())
            sync_products(services)
            for index, sku in enumerate(list_products(services)):
                set_parcel(services, sku.sku_id, weight=f"{5 + index}oz", dims="8x6x2in")
            sync_orders(services)
            with services.store.read() as session:
                orders = session.scalars(select(Order).order_by(Order.id)).all()
                # Orders TikTok Shipping labels itself are bought from TikTok: not ours here.
                seller = [o for o in orders if o.shipping_type != "TIKTOK"]
                order_ids = [o.id for o in seller][:ORDERS]
                shop_id = seller[0].shop_id
        finally:
            services.close()
        assert len(order_ids) >= 4
        yield ShopTemplate(
            environ=environ,
            data_dir=services.paths.data_dir,
            secrets={name: backend.get(name) or "" for name in backend.names()},
            order_ids=order_ids,
            shop_id=shop_id,
            scratch=root,
        )


# -- the machine ------------------------------------------------------------------------------


class JournalMachine(RuleBasedStateMachine):
    """One install, one fake provider, a clock the test moves."""

    template: ShopTemplate  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.services = self.template.new_services()
        self.fake = FakeLabels()
        self.clock = datetime.now(UTC)
        self.approved: set[str] = set()
        self.crashes = 0

    # -- helpers ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock

    def reference(self, order_id: str) -> str:
        return label_key(self.template.shop_id, order_id)

    def providers(self, _services: Services) -> ProviderSet:
        return ProviderSet(
            providers={"fake": self.fake},  # type: ignore[dict-item]
            order=["fake"],
            throttles={"fake": Throttle(1_000_000.0)},
        )

    def step(self, crash_at: str | None) -> None:
        def crash_point(name: str) -> None:
            if name == crash_at:
                raise SimulatedCrash(name)

        try:
            buy_labels(
                self.services,
                limit=1,
                workers=1,
                now=self.now,
                crash_point=crash_point,
                wait_up_to=timedelta(0),
                sleep=lambda _seconds: None,
            )
        except SimulatedCrash:
            self.crashes += 1  # the claim stays with the dead worker until its lease ends

    def effects(self) -> dict[str, Effect]:
        with self.services.store.read() as session:
            rows = session.scalars(select(Effect).where(Effect.kind == "label")).all()
            return {str(e.order_id): e for e in rows}

    # -- rules --------------------------------------------------------------------------------

    @initialize()
    def patch_providers(self) -> None:
        self._original = label_providers.build_outside_providers
        label_providers.build_outside_providers = self.providers  # type: ignore[assignment]

    @initialize(data=st.data())
    def approve_some(self, data: st.DataObject) -> None:
        self.approve(data)

    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        waiting = sorted(set(self.template.order_ids) - self.approved)
        if not waiting:
            return
        chosen = data.draw(st.lists(st.sampled_from(waiting), min_size=1, unique=True))
        summary = approve_orders(self.services, chosen, now=self.clock)
        for result in summary.results:
            assert result.approved, (result.order_id, result.reason)
            self.approved.add(result.order_id)

    @rule()
    def worker_step(self) -> None:
        self.step(None)

    @rule(steps=st.integers(min_value=2, max_value=4))
    def worker_steps(self, steps: int) -> None:
        for _ in range(steps):
            self.step(None)

    @rule(crash_at=st.sampled_from(CRASH_POINTS))
    def crash_worker(self, crash_at: str) -> None:
        self.step(crash_at)

    @rule(minutes=st.sampled_from([1, 3, 6, 40]))
    def advance_clock(self, minutes: int) -> None:
        self.clock += timedelta(minutes=minutes)

    @rule(kind=st.sampled_from([*BUY_FAULTS, *FIND_FAULTS, *QUOTE_FAULTS]))
    def provider_fault(self, kind: str) -> None:
        self.fake.add_fault(kind)

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def never_bought_twice(self) -> None:
        twice = {ref: n for ref, n in self.fake.purchases.items() if n > 1}
        assert not twice, f"bought twice: {twice}"

    @invariant()
    def only_approved_orders_bought(self) -> None:
        approved = {self.reference(order_id) for order_id in self.approved}
        assert set(self.fake.purchases) <= approved

    @invariant()
    def stage_shipment_and_journal_agree(self) -> None:
        effects = self.effects()
        with self.services.store.read() as session:
            for order_id in self.template.order_ids:
                order = session.get(Order, order_id)
                assert order is not None
                shipments = session.scalars(
                    select(Shipment).where(Shipment.order_id == order_id)
                ).all()
                bought = [s for s in shipments if s.state is ShipmentState.PURCHASED]
                effect = effects.get(order_id)
                where = (
                    order_id,
                    order.stage,
                    [s.state for s in shipments],
                    effect and effect.state,
                )
                assert len(shipments) <= 1, where
                if order_id not in self.approved:
                    assert order.stage is Stage.NEW, where
                    assert not shipments, where
                    assert effect is None, where
                    continue
                assert effect is not None, where
                label = self.fake.labels.get(self.reference(order_id))
                if label is not None and effect.state is not EffectState.DONE:
                    # Bought but not recorded yet: the journal must remember what was tried,
                    # or the next attempt cannot find it and buys again.
                    attempt = (effect.request or {}).get("attempt") or {}
                    assert attempt.get("rate_id") == label.rate_id, (where, attempt, label)
                if order.stage is Stage.LABELLED:
                    # Recorded: one purchased shipment, the journal done, the provider agrees.
                    assert len(bought) == 1, where
                    assert effect.state is EffectState.DONE, where
                    assert label is not None, where
                    assert bought[0].provider_transaction_id == label.label_id, where
                    assert bought[0].tracking_number == label.tracking_number, where
                    assert (effect.result or {}).get("label_id") == label.label_id, where
                elif order.stage is Stage.PURCHASING:
                    # An attempt was committed: a purchasing shipment, the journal still open
                    # (a 429 drops the attempt marker: nothing was bought).
                    assert [s.state for s in shipments] == [ShipmentState.PURCHASING], where
                    assert effect.state in (EffectState.PENDING, EffectState.CLAIMED), where
                elif order.stage is Stage.APPROVED:
                    assert not shipments, where
                    assert effect.state in (EffectState.PENDING, EffectState.CLAIMED), where
                elif order.stage is Stage.NEEDS_ATTENTION:
                    assert self.reference(order_id) in self.fake.rejected, where
                    assert not bought, where
                    assert effect.state is EffectState.NEEDS_ATTENTION, where
                else:
                    raise AssertionError(f"unexpected stage: {where}")

    # -- heal and check -----------------------------------------------------------------------

    def heal(self) -> None:
        self.fake.clear_faults()
        for _ in range(HEAL_ROUNDS):
            self.clock += timedelta(hours=1)
            buy_labels(
                self.services,
                workers=1,
                now=self.now,
                wait_up_to=timedelta(0),
                sleep=lambda _seconds: None,
            )
            if all(
                e.state in (EffectState.DONE, EffectState.NEEDS_ATTENTION)
                for e in self.effects().values()
            ):
                break
        self.never_bought_twice()
        self.stage_shipment_and_journal_agree()
        effects = self.effects()
        with self.services.store.read() as session:
            for order_id in self.approved:
                order = session.get(Order, order_id)
                assert order is not None
                reference = self.reference(order_id)
                if reference in self.fake.rejected:
                    assert order.stage is Stage.NEEDS_ATTENTION, (order_id, order.stage)
                    assert self.fake.purchases[reference] == 0
                else:
                    assert order.stage is Stage.LABELLED, (order_id, order.stage, effects)
                    assert self.fake.purchases[reference] == 1

    def teardown(self) -> None:
        try:
            if hasattr(self, "_original"):
                self.heal()
        finally:
            if hasattr(self, "_original"):
                label_providers.build_outside_providers = self._original
            self.services.close()


def test_the_label_journal_survives_crashes_and_lost_answers(shop_template: ShopTemplate) -> None:
    JournalMachine.template = shop_template
    run_state_machine_as_test(
        JournalMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
            report_multiple_bugs=False,
        ),
    )


def test_a_worker_that_outlived_its_lease_does_not_buy(
    shop_template: ShopTemplate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker stalls between its attempt marker and the purchase (a suspended laptop, a
    stopped process, another station's clock running 6 minutes ahead) until its lease ends.
    Another worker takes the effect over, reconciles (nothing bought yet), buys and records.
    When the first worker resumes it must not buy a second label.

    The fence (``label_records.renew_claim`` right before ``provider.buy``) refuses it: the
    claim is the other worker's now. (Found by this test: the first version bought twice.)"""
    services = shop_template.new_services()
    fake = FakeLabels()
    monkeypatch.setattr(
        label_providers,
        "build_outside_providers",
        lambda _services: ProviderSet(
            providers={"fake": fake},  # type: ignore[dict-item]
            order=["fake"],
            throttles={"fake": Throttle(1_000_000.0)},
        ),
    )
    order_id = shop_template.order_ids[0]
    reference = label_key(shop_template.shop_id, order_id)
    start = datetime.now(UTC)
    stalled, resume = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def stall(name: str) -> None:
        if name == "before_buy" and not stalled.is_set():
            stalled.set()
            resume.wait(timeout=30)

    def slow_worker() -> None:
        try:
            buy_labels(
                services, workers=1, now=lambda: start, crash_point=stall, wait_up_to=timedelta(0)
            )
        except BaseException as exc:  # reported below, after the thread is joined
            errors.append(exc)

    try:
        approve_orders(services, [order_id], now=start)
        worker = threading.Thread(target=slow_worker)
        worker.start()
        try:
            assert stalled.wait(timeout=30)
            later = start + LEASE + timedelta(minutes=1)
            taken_over = buy_labels(services, workers=1, now=lambda: later, wait_up_to=timedelta(0))
            assert taken_over.bought == 1
        finally:
            resume.set()
            worker.join(timeout=30)
        assert fake.purchases[reference] == 1, (
            f"bought {fake.purchases[reference]} labels for one order; the stalled worker "
            f"ended with {errors!r}"
        )
    finally:
        services.close()
