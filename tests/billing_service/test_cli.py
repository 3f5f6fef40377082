"""`creatorflow-billing plans …` and `keys …`; `serve` refuses to start half-configured."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from creatorflow.billing_service.cli import app
from creatorflow.billing_service.tokens import SigningKey, key_id

runner = CliRunner()
MODULE = "creatorflow.billing_service"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CREATORFLOW_BILLING_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    monkeypatch.chdir(tmp_path)
    for name in ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_plans_set_and_list(env: Path) -> None:
    assert runner.invoke(app, ["plans", "list", "--json"]).output.strip() == "[]"
    done = runner.invoke(
        app,
        ["plans", "set", "growth", "--price-lookup-key", "growth_monthly", "--order-limit", "2000"],
    )
    assert done.exit_code == 0, done.output
    runner.invoke(
        app, ["plans", "set", "growth", "--price-lookup-key", "growth_v2", "--order-limit", "2500"]
    )
    listed = json.loads(runner.invoke(app, ["plans", "list", "--json"]).output)
    assert [(p["name"], p["price_lookup_key"], p["order_limit"]) for p in listed] == [
        ("growth", "growth_v2", 2500)
    ]
    assert "growth" in runner.invoke(app, ["plans", "list"]).output


def test_plans_set_refuses_bad_input(env: Path) -> None:
    bad_name = runner.invoke(
        app, ["plans", "set", "no spaces", "--price-lookup-key", "k", "--order-limit", "1"]
    )
    assert bad_name.exit_code == 2
    negative = runner.invoke(
        app, ["plans", "set", "x", "--price-lookup-key", "k", "--order-limit", "-1"]
    )
    assert negative.exit_code == 2


def test_keys_generate_and_public(env: Path) -> None:
    out = env / "keys" / "signing.pem"
    made = runner.invoke(app, ["keys", "generate", "--out", str(out), "--json"])
    assert made.exit_code == 0, made.output
    info = json.loads(made.output)
    key = SigningKey.load(out)
    assert info["kid"] == key.kid == key_id(key.public_key)
    assert info["public_key"] == key.public_key_b64()
    assert "PRIVATE" not in made.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    again = runner.invoke(app, ["keys", "generate", "--out", str(out)])
    assert again.exit_code == 2  # never overwritten
    shown = runner.invoke(app, ["keys", "public", "--key-file", str(out), "--json"])
    assert json.loads(shown.output) == info


def test_keys_public_from_the_environment(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = env / "k.pem"
    SigningKey.generate().save(path)
    monkeypatch.setenv("CREATORFLOW_BILLING_SIGNING_KEY_FILE", str(path))
    shown = runner.invoke(app, ["keys", "public"])
    assert shown.exit_code == 0
    assert SigningKey.load(path).kid in shown.output
    (env / "bad.pem").write_text("not a key")
    monkeypatch.setenv("CREATORFLOW_BILLING_SIGNING_KEY_FILE", str(env / "bad.pem"))
    assert runner.invoke(app, ["keys", "public"]).exit_code == 2


def test_serve_needs_a_key_and_stripe_outside_dev(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_key = runner.invoke(app, ["serve"])
    assert no_key.exit_code == 2
    assert "CREATORFLOW_BILLING_SIGNING_KEY_FILE" in no_key.output
    path = env / "k.pem"
    SigningKey.generate().save(path)
    monkeypatch.setenv("CREATORFLOW_BILLING_SIGNING_KEY_FILE", str(path))
    no_stripe = runner.invoke(app, ["serve"])
    assert no_stripe.exit_code == 2
    assert "STRIPE_API_KEY" in no_stripe.output


def test_serve_dev_generates_a_key_and_answers(env: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Path(sys.executable).parent / "creatorflow-billing"
    command = (
        [str(script)] if script.exists() else [sys.executable, "-m", "creatorflow.billing_service"]
    )
    child = subprocess.Popen(
        [*command, "serve", "--dev", "--port", str(port)],
        cwd=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert child.poll() is None, child.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.1)
        plans = httpx.get(f"http://127.0.0.1:{port}/v1/plans", timeout=5)
        assert plans.json() == {"plans": []}
    finally:
        child.terminate()
        _, stderr = child.communicate(timeout=30)
    key = SigningKey.load(env / "creatorflow-billing-dev-signing-key.pem")
    assert f"kid {key.kid}" in stderr
    assert key.public_key_b64() in stderr
    assert "PRIVATE" not in stderr
