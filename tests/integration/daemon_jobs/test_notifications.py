"""Alerts go out once per event — across runs and restarts — through the user's command; a
failing command is retried, then given up, and never raises; a flood becomes one digest."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from creatorflow.domain.stages import Stage
from creatorflow.errors import UsageError
from creatorflow.services.notifications import MAX_ATTEMPTS, notify_pending
from creatorflow.store.tables import Effect, EffectState, JobRun, Order, Shop
from tests.integration.daemon_jobs.conftest import NOW, SHOP, MakeServices, add_order

RECORDER = """
import json, os, sys
if os.environ.get("FAIL_NOTIFY"):
    sys.stderr.write("gateway down")
    sys.exit(1)
with open(sys.argv[1], "a", encoding="utf-8") as out:
    keys = ("CREATORFLOW_EVENT", "CREATORFLOW_ORDER_ID", "CREATORFLOW_SHOP_ID")
    out.write(json.dumps({**{k: os.environ[k] for k in keys}, "message": sys.argv[-1]}) + "\\n")
"""


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[str, Path]:
    script = tmp_path / "record.py"
    script.write_text(RECORDER, encoding="utf-8")
    out = tmp_path / "alerts.jsonl"
    return shlex.join([sys.executable, str(script), str(out)]), out


def _sent(out: Path) -> list[dict[str, str]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _world(make_services: MakeServices) -> None:
    services = make_services()
    add_order(
        services,
        "A1",
        stage=Stage.NEEDS_ATTENTION,
        attention_reason="Shippo refused the address: street not found.",
    )
    # Due in two hours, no label yet: at risk. Due yesterday: overdue.
    add_order(services, "R1", shipping_due_at=NOW + timedelta(hours=2))
    add_order(services, "O1", stage=Stage.APPROVED, shipping_due_at=NOW - timedelta(days=1))
    # Due next week, and one TikTok no longer waits for: nothing to say.
    add_order(services, "F1", shipping_due_at=NOW + timedelta(days=7))
    add_order(
        services,
        "X1",
        status="CANCELLED",
        stage=Stage.CANCELLED,
        shipping_due_at=NOW - timedelta(days=3),
    )
    add_order(
        services,
        "L1",
        stage=Stage.IN_TRANSIT,
        dispatch_state="on_time",
        possibly_lost=True,
        shipping_due_at=NOW - timedelta(days=10),
    )


def test_each_event_is_sent_once_across_runs_and_restarts(
    make_services: MakeServices, recorder: tuple[str, Path]
) -> None:
    command, out = recorder
    _world(make_services)
    first = notify_pending(make_services(notify_command=command), now=NOW)
    assert first.channels == ["command"]
    assert first.queued == first.sent == 4
    sent = {(line["CREATORFLOW_EVENT"], line["CREATORFLOW_ORDER_ID"]) for line in _sent(out)}
    assert sent == {
        ("needs_attention", "A1"),
        ("at_risk", "R1"),
        ("overdue", "O1"),
        ("parcel_lost", "L1"),
    }
    attention = next(line for line in _sent(out) if line["CREATORFLOW_ORDER_ID"] == "A1")
    assert "street not found" in attention["message"]
    assert attention["CREATORFLOW_SHOP_ID"] == SHOP

    # Again in this process, then after a "restart" (a fresh Services): nothing new.
    again = notify_pending(make_services(notify_command=command), now=NOW + timedelta(minutes=2))
    assert (again.queued, again.sent) == (0, 0)
    assert len(_sent(out)) == 4

    # At risk → overdue is news; so is a second trip into needs_attention.
    services = make_services(notify_command=command)
    later = NOW + timedelta(hours=3)
    with services.store.write() as session:
        session.execute(update(Order).where(Order.id == "A1").values(stage_changed_at=later))
    third = notify_pending(services, now=later)
    assert third.sent == 2
    news = {(line["CREATORFLOW_EVENT"], line["CREATORFLOW_ORDER_ID"]) for line in _sent(out)[4:]}
    assert news == {("overdue", "R1"), ("needs_attention", "A1")}


def test_a_lost_authorisation_is_sent_once_per_authorisation(
    make_services: MakeServices, recorder: tuple[str, Path]
) -> None:
    command, out = recorder
    services = make_services(notify_command=command)
    add_order(services, "F1", shipping_due_at=NOW + timedelta(days=7))
    with services.store.write() as session:
        session.add(
            JobRun(
                job="poll_orders",
                station="st",
                started_at=NOW + timedelta(minutes=1),
                finished_at=NOW + timedelta(minutes=1),
                outcome="auth_error",
                error="Not authorised: the refresh token was revoked",
            )
        )
    notify_pending(services, now=NOW + timedelta(minutes=2))
    notify_pending(services, now=NOW + timedelta(minutes=4))
    (alert,) = _sent(out)
    assert alert["CREATORFLOW_EVENT"] == "auth_lost"
    assert alert["CREATORFLOW_SHOP_ID"] == SHOP
    assert "creatorflow connect tiktok" in alert["message"]
    assert "refresh token was revoked" in alert["message"]

    # The seller reconnects; later TikTok revokes the app: a new authorisation, a new alert.
    with services.store.write() as session:
        shop = session.get(Shop, SHOP)
        assert shop is not None
        shop.authorized_at = NOW + timedelta(minutes=10)
        shop.deauthorized_at = NOW + timedelta(hours=1)
    notify_pending(services, now=NOW + timedelta(hours=2))
    assert [line["CREATORFLOW_EVENT"] for line in _sent(out)] == ["auth_lost", "auth_lost"]
    assert "revoked" in _sent(out)[1]["message"]


def test_a_failing_command_is_retried_then_given_up_and_never_raises(
    make_services: MakeServices, recorder: tuple[str, Path]
) -> None:
    command, out = recorder
    base = make_services()
    add_order(base, "A1", stage=Stage.NEEDS_ATTENTION, attention_reason="Carrier said no.")
    # FAIL_NOTIFY reaches the command through the daemon's own environment.
    failing = make_services(notify_command=command, env={"FAIL_NOTIFY": "1"})
    moment = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        summary = notify_pending(failing, now=moment)
        assert summary.sent == 0
        assert summary.errors
        assert "gateway down" in summary.errors[0]
        with failing.store.read() as session:
            effect = session.scalars(select(Effect).where(Effect.kind == "notify")).one()
        assert effect.attempts == attempt
        assert effect.last_error is not None
        assert "status 1" in effect.last_error
        # Not due again at once: nothing is claimed on an immediate re-run.
        assert notify_pending(failing, now=moment).errors == []
        moment = effect.next_attempt_at + timedelta(seconds=1)
    assert effect.state is EffectState.NEEDS_ATTENTION
    assert _sent(out) == []
    # Given up: a working command later does not resend it.
    assert notify_pending(make_services(notify_command=command), now=moment).sent == 0


def test_a_failure_is_retried_and_then_delivered(
    make_services: MakeServices, recorder: tuple[str, Path]
) -> None:
    command, out = recorder
    base = make_services()
    add_order(base, "A1", stage=Stage.NEEDS_ATTENTION, attention_reason="Carrier said no.")
    failing = make_services(notify_command=command, env={"FAIL_NOTIFY": "1"})
    assert notify_pending(failing, now=NOW).failed == 1
    working = make_services(notify_command=command)
    assert notify_pending(working, now=NOW + timedelta(hours=1)).sent == 1
    assert [line["CREATORFLOW_ORDER_ID"] for line in _sent(out)] == ["A1"]


def test_a_flood_of_alerts_becomes_one_digest(
    make_services: MakeServices, recorder: tuple[str, Path]
) -> None:
    command, out = recorder
    services = make_services(notify_command=command)
    for n in range(15):
        add_order(services, f"A{n:02}", stage=Stage.NEEDS_ATTENTION, attention_reason=f"r{n}")
    summary = notify_pending(services, now=NOW)
    assert summary.digest is True
    assert summary.sent == 15
    (digest,) = _sent(out)
    assert digest["CREATORFLOW_EVENT"] == "digest"
    assert digest["message"].startswith("15 alerts (15 needs attention)")
    assert "and 10 more" in digest["message"]
    assert notify_pending(services, now=NOW + timedelta(minutes=5)).sent == 0


def test_without_a_channel_the_service_refuses(make_services: MakeServices) -> None:
    with pytest.raises(UsageError) as caught:
        notify_pending(make_services(), now=NOW)
    assert caught.value.hint
    assert "notify.command" in caught.value.hint
