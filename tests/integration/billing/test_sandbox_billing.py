"""The sandbox's billing: ``sandbox serve`` runs the Stripe simulator and the billing service,
``init --sandbox`` points the install at them, and ``billing login`` / ``billing upgrade`` work
as a person would use them (the code approved on the service's page, Pay clicked on the
simulated Checkout page)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from creatorflow.config.paths import resolve_paths
from creatorflow.integrations.billing.client import DeviceCode
from creatorflow.secrets import SecretStore
from creatorflow.secrets.backends import MemoryBackend
from creatorflow.services.billing import billing_status, finish_login, start_login, upgrade_link
from creatorflow.services.context import Services
from creatorflow.services.sandbox import SandboxInfo, run_sandbox
from creatorflow.services.sandbox_billing import SANDBOX_PLANS, checkout_session_id
from creatorflow.services.sandbox_control import sandbox_stats
from creatorflow.services.setup import init_sandbox


def _services(home: Path, secrets: SecretStore) -> Services:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CREATORFLOW_")} | {
        "CREATORFLOW_HOME": str(home)
    }
    return Services(paths=resolve_paths(environ), environ=environ, secret_store=secrets)


def _click_approve(code: DeviceCode) -> None:
    """What the person does: open the printed link, type an email, click Approve."""
    with httpx.Client(timeout=20) as browser:
        page = browser.get(code.verification_uri_complete)
        assert page.status_code == 200
        assert "Approve the login of station" in page.text
        user_code = parse_qs(urlsplit(code.verification_uri_complete).query)["user_code"][0]
        done = browser.post(
            code.verification_uri,
            data={"user_code": user_code, "email": "me@example.com", "action": "approve"},
        )
        assert done.status_code == 200, done.text
        assert "Approved" in done.text


def test_init_sandbox_sets_billing_and_login_and_upgrade_work_against_it(tmp_path: Path) -> None:
    secrets = SecretStore([MemoryBackend()])
    services = _services(tmp_path / "home", secrets)
    with run_sandbox(services, orders=4, orders_per_minute=0) as running:
        info = running.info
        written = SandboxInfo.from_json(services.paths.sandbox_file.read_text(encoding="utf-8"))
        assert (written.billing_url, written.stripe_url) == (info.billing_url, info.stripe_url)
        assert written.billing_trusted_keys == running.billing.trusted_keys
        plans = httpx.get(f"{info.billing_url}/v1/plans", timeout=20).json()["plans"]
        assert {plan["name"] for plan in plans} == {plan.name for plan in SANDBOX_PLANS}

        report = init_sandbox(services)
        assert report.billing_url == info.billing_url
        work = _services(tmp_path / "home", secrets)
        assert work.settings.text("billing.url") == info.billing_url
        assert work.settings.text("billing.trusted_keys") == info.billing_trusted_keys

        # `billing login`: nothing happens until the person approves on the sandbox's page.
        code = start_login(work, station="packing-1")
        assert code.verification_uri == f"{info.billing_url}/device"
        polls: list[float] = []

        def sleep(seconds: float) -> None:
            polls.append(seconds)
            if len(polls) == 2:  # the first poll is still pending
                _click_approve(code)

        signed_in = finish_login(work, code, sleep=sleep)
        assert len(polls) == 2
        assert signed_in.entitlement is not None, signed_in.entitlement_error
        assert signed_in.entitlement.claims is not None
        assert signed_in.entitlement.claims.plan == "none"

        # `billing upgrade growth`: the simulator's Checkout page, paid with its Pay button.
        link = upgrade_link(work, "growth")
        assert link.kind == "checkout"
        assert link.url.startswith(info.stripe_url)
        with httpx.Client(timeout=20) as browser:
            page = browser.get(link.url)
            assert page.status_code == 200
            assert "Pay" in page.text
            assert "Decline" in page.text
            paid = browser.post(
                f"{info.stripe_url}/_sim/checkout/{checkout_session_id(link.url)}/pay"
            )
            assert paid.status_code == 303
            assert paid.headers["location"].startswith(f"{info.billing_url}/checkout/done")
        assert running.billing.stripe.wait_for_webhooks(15)

        status = billing_status(work)
        assert status.refreshed, status.refresh_error
        claims = status.entitlement.claims
        assert claims is not None
        assert (claims.plan, claims.status, claims.order_limit) == ("growth", "active", 1000)

        billing = sandbox_stats(services)["billing"]
        assert billing["installs"] == billing["accounts"] == 1
        assert billing["subscriptions"] == {"active": 1}
        assert billing["billing_url"] == info.billing_url
        json.dumps(billing)  # JSON-able for `sandbox stats --json`
        work.close()
    assert not services.paths.sandbox_file.exists()
    services.close()
