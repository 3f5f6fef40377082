"""Sending an alert: the user's command (argv, no shell, env, exit status, timeout) and the
desktop notifier of each platform."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from creatorflow.integrations.notify import (
    Alert,
    NotifyError,
    command_argv,
    command_environment,
    desktop_argv,
    run_command,
    send_desktop,
)

ALERT = Alert("overdue", "Order 576 is late", "Order 576 missed; $(rm -rf ~) `x`", "576", "700")

RECORDER = """
import json, os, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    env = {k: v for k, v in os.environ.items() if k.startswith("CREATORFLOW_")}
    out.write(json.dumps({"argv": sys.argv[2:], "env": env}) + "\\n")
"""


def _recorder(tmp_path: Path) -> tuple[str, Path]:
    script = tmp_path / "record.py"
    script.write_text(RECORDER, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    command = " ".join(shlex.quote(part) for part in (sys.executable, str(script), str(out)))
    return command + " --flag 'two words'", out


def test_the_message_is_the_last_argument_and_nothing_goes_through_a_shell(
    tmp_path: Path,
) -> None:
    command, out = _recorder(tmp_path)
    run_command(command, ALERT, environ={"PATH": "/usr/bin", "CREATORFLOW_HOME": "/h"})
    (line,) = out.read_text(encoding="utf-8").splitlines()
    seen = json.loads(line)
    assert seen["argv"] == ["--flag", "two words", ALERT.message]
    assert seen["env"]["CREATORFLOW_EVENT"] == "overdue"
    assert seen["env"]["CREATORFLOW_ORDER_ID"] == "576"
    assert seen["env"]["CREATORFLOW_SHOP_ID"] == "700"
    assert seen["env"]["CREATORFLOW_MESSAGE"] == ALERT.message
    assert seen["env"]["CREATORFLOW_HOME"] == "/h"


def test_secrets_never_reach_the_command() -> None:
    env = command_environment(
        {"CREATORFLOW_SECRET_SHIPPO_API_KEY": "shippo_live_x", "HOME": "/home/a"},
        Alert("digest", "t", "m"),
    )
    assert "CREATORFLOW_SECRET_SHIPPO_API_KEY" not in env
    assert env["HOME"] == "/home/a"
    assert env["CREATORFLOW_ORDER_ID"] == ""


def test_a_failing_command_says_its_status_and_output() -> None:
    command = shlex.join([sys.executable, "-c", "import sys; print('no route'); sys.exit(3)"])
    with pytest.raises(NotifyError, match=r"status 3: no route"):
        run_command(command, ALERT, environ={})


def test_a_missing_program_is_named() -> None:
    with pytest.raises(NotifyError, match="was not found") as caught:
        run_command("/nonexistent/notify-me now", ALERT, environ={})
    assert caught.value.hint


def test_a_command_that_hangs_is_stopped() -> None:
    command = shlex.join([sys.executable, "-c", "import time; time.sleep(60)"])
    with pytest.raises(NotifyError, match="did not finish"):
        run_command(command, ALERT, environ={}, timeout=0.5)


@pytest.mark.parametrize("text", ["", "   ", "'unclosed"])
def test_an_unusable_command_is_refused(text: str) -> None:
    with pytest.raises(NotifyError):
        command_argv(text)


def test_linux_uses_notify_send_with_the_texts_as_arguments() -> None:
    argv = desktop_argv(ALERT, platform="linux", which=lambda name: f"/usr/bin/{name}")
    assert argv == [
        "/usr/bin/notify-send",
        "--app-name=CreatorFlow",
        "--",
        ALERT.title,
        ALERT.message,
    ]


def test_macos_passes_the_texts_to_osascript_outside_the_script() -> None:
    argv = desktop_argv(ALERT, platform="darwin", which=lambda name: f"/usr/bin/{name}")
    assert argv is not None
    assert argv[0] == "/usr/bin/osascript"
    assert argv[-2:] == [ALERT.title, ALERT.message]
    assert all(ALERT.message not in part for part in argv[:-1])


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_no_notifier_means_nothing_is_sent(platform: str) -> None:
    assert send_desktop(ALERT, platform=platform, which=lambda _name: None) is False


def test_a_notifier_that_fails_raises(tmp_path: Path) -> None:
    fake = tmp_path / "notify-send"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    if sys.platform.startswith("win"):
        pytest.skip("a shell script stands in for notify-send")
    with pytest.raises(NotifyError, match="cannot open display"):
        send_desktop(ALERT, platform="linux", which=lambda _name: str(fake))
