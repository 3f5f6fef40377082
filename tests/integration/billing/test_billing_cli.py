"""``creatorflow billing …`` and the plan limit on ``orders approve``, as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from creatorflow.cli.app import app
from creatorflow.daemon.jobs import JOBS, run_job
from creatorflow.services.approval import approve_orders
from creatorflow.services.billing_core import INSTALL_TOKEN
from creatorflow.services.label_buying import buy_labels
from tests.integration.billing.conftest import PLAN_LIMIT, Station
from tests.integration.billing.test_billing_flow import _ready

Run = Callable[..., Result]


@pytest.fixture
def cli(station: Station, monkeypatch: pytest.MonkeyPatch) -> Run:
    for name, value in station.environ.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return run


def _json(result: Result, exit_code: int = 0) -> dict[str, object]:
    assert result.exit_code == exit_code, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_status_usage_and_the_limit_on_the_command_line(station: Station, cli: Run) -> None:
    services = station.services
    station.login()
    station.subscribe()
    approve_orders(services, _ready(services)[:2], now=station.now())
    assert buy_labels(services).bought == 2

    status = _json(cli("billing", "status", "--json"))
    assert status["signed_in"] is True
    assert (status["plan"], status["status"], status["state"]) == ("growth", "active", "active")
    assert (status["order_limit"], status["used"], status["pending"]) == (PLAN_LIMIT, 0, 2)
    assert status["remaining"] == PLAN_LIMIT - 2
    assert status["unsent_usage"] == 2
    assert status["refreshed"] is True
    assert str(status["expires_at"]).endswith("+00:00")
    install_token = services.secrets.get(INSTALL_TOKEN)
    assert install_token is not None
    assert install_token not in json.dumps(status)

    usage = _json(cli("billing", "usage", "--json"))
    assert (usage["used"], usage["order_limit"], usage["unsent"]) == (0, PLAN_LIMIT, 2)
    assert usage["remaining"] == PLAN_LIMIT - 2

    daemon_job = next(job for job in JOBS if job.name == "billing_sync")
    assert daemon_job.enabled(services)
    run = run_job(services, daemon_job, "st1")
    assert run.outcome == "ok", run.error
    assert isinstance(run.summary, dict)
    assert (run.summary["sent"], run.summary["accepted"]) == (2, 2)
    usage = _json(cli("billing", "usage", "--json"))
    assert (usage["used"], usage["unsent"]) == (2, 0)

    table = cli("billing", "status", "--offline")
    assert table.exit_code == 0, table.stderr
    assert "growth" in table.stdout
    assert f"2 of {PLAN_LIMIT}" in table.stdout

    approve = cli("orders", "approve", "--all-ready")
    assert approve.exit_code == 5, approve.stderr
    assert "creatorflow billing upgrade" in approve.stderr
    as_json = cli("orders", "approve", "--all-ready", "--json")
    assert as_json.exit_code == 5
    assert json.loads(as_json.stdout)["refusal_counts"] == {"plan_limit": len(_ready(services))}

    portal = cli("billing", "portal", "--no-browser")
    assert portal.exit_code == 0, portal.stderr
    assert portal.stdout.strip().startswith("http")
    upgrade = cli("billing", "upgrade", "growth", "--no-browser")
    assert upgrade.exit_code == 0, upgrade.stderr
    assert "Customer Portal" in upgrade.stderr  # already subscribed: plan changes go there

    out = cli("billing", "logout")
    assert out.exit_code == 0, out.stderr
    assert "Signed out" in out.stderr
    after = cli("billing", "status", "--json")
    assert after.exit_code == 3
    assert after.stdout == ""
    assert "creatorflow billing login" in after.stderr
    assert not daemon_job.enabled(services)


def test_upgrade_without_a_plan_lists_them(station: Station, cli: Run) -> None:
    station.login()
    result = cli("billing", "upgrade", "--no-browser")
    assert result.exit_code == 2
    assert "growth" in result.stderr
    assert "creatorflow billing upgrade PLAN" in result.stderr
    checkout = cli("billing", "upgrade", "growth", "--no-browser")
    assert checkout.exit_code == 0, checkout.stderr
    assert "/checkout/" in checkout.stdout
