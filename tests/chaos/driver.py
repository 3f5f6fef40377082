"""The CreatorFlow side of the SIGKILL tests: buy labels and push tracking, then die on cue.

Run by ``test_sigkill.py`` with ``sys.executable``; everything about the install comes from
the environment (``CREATORFLOW_HOME``, the simulators' URLs, ``CREATORFLOW_SECRET_*`` and
``CREATORFLOW_SECRETS_ALLOW_FILE=true`` so the TikTok tokens persist in the home's file).
One run is described by a JSON object:

* ``point`` / ``nth``: SIGKILL this process at the ``nth`` crossing of crash point ``point``
  (``before_buy``, ``after_buy``, ``before_record`` from ``label_buying``, plus
  ``push_before_call`` / ``push_after_call`` around TikTok's Mark Package As Shipped);
* ``delay``: SIGKILL this process ``delay`` seconds after the run starts (a timer thread);
* ``shift``: seconds added to the clock the run uses (past the lease of a killed run's claims);
  the TikTok client keeps the real clock for its signatures;
* ``workers``: purchases in flight at once;
* ``poll_scale``: Shippo answers a purchase ``QUEUED`` and CreatorFlow polls it after 0.5 s,
  1 s, …; the pauses are multiplied by this (default 1) through the provider's ``sleep``
  parameter, so the in-flight window stays but costs less wall time.

Two modes:

* ``driver.py run '<json>'``: one run in this fresh interpreter;
* ``driver.py serve``: a fork server, one JSON per stdin line; each run happens in a forked
  child (so the interpreter start-up is paid once) and the parent answers one JSON line per
  run: ``{"signal": <signal that ended the child or 0>, "code": <exit code or null>}``.

A run that is not killed exits 0; any error exits 1 with its traceback on stderr.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from creatorflow.integrations.shipping.shippo import ShippoProvider
from creatorflow.integrations.tiktok.client import TikTokClient
from creatorflow.services.context import build_services
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.tracking_push import push_tracking

#: What a run imports lazily: imported once by the fork server so that children start fast.
_WARM = (
    "creatorflow.config.settings",
    "creatorflow.integrations.shipping.easypost",
    "creatorflow.integrations.shipping.shippo",
    "creatorflow.integrations.shipping.tiktok_shipping",
    "creatorflow.secrets",
    "creatorflow.services.label_providers",
    "creatorflow.services.label_records",
    "creatorflow.services.order_sync",
    "creatorflow.services.parcels",
    "creatorflow.services.purchase_planning",
    "creatorflow.services.push_records",
    "creatorflow.services.shop_sync",
    "creatorflow.services.tiktok_connection",
    "creatorflow.store.effects",
    "creatorflow.store.engine",
    "creatorflow.store.schema",
    "creatorflow.store.session",
    "creatorflow.store.tables",
    "keyring",
    "sqlite3",
)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _crash_hook(point: str | None, nth: int) -> Callable[[str], None]:
    crossings: Counter[str] = Counter()
    lock = threading.Lock()

    def crash_point(name: str) -> None:
        if name != point:
            return
        with lock:
            crossings[name] += 1
            if crossings[name] == nth:
                _die()

    return crash_point


def _hook_push(crash_point: Callable[[str], None]) -> None:
    """Crash points around TikTok's non-idempotent Mark Package As Shipped (driver-side)."""
    original = TikTokClient.mark_package_shipped

    def mark_package_shipped(self: TikTokClient, *args: Any, **kwargs: Any) -> Any:
        crash_point("push_before_call")
        result = original(self, *args, **kwargs)
        crash_point("push_after_call")
        return result

    TikTokClient.mark_package_shipped = mark_package_shipped  # type: ignore[method-assign]


def _scale_shippo_polls(scale: float) -> None:
    original = ShippoProvider.__init__

    def scaled_sleep(seconds: float) -> None:
        time.sleep(seconds * scale)

    def init(self: ShippoProvider, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("sleep", scaled_sleep)
        original(self, *args, **kwargs)

    ShippoProvider.__init__ = init  # type: ignore[method-assign]


def run(spec: dict[str, Any]) -> None:
    """One buy-and-push run as ``spec`` says (it may never return: SIGKILL)."""
    crash_point = _crash_hook(spec.get("point"), int(spec.get("nth", 1)))
    _hook_push(crash_point)
    scale = float(spec.get("poll_scale", 1.0))
    if scale != 1.0:
        _scale_shippo_polls(scale)
    delay = spec.get("delay")
    if delay is not None:
        timer = threading.Timer(float(delay), _die)
        timer.daemon = True
        timer.start()
    shift = timedelta(seconds=float(spec.get("shift", 0)))

    def now() -> datetime:
        return datetime.now(UTC) + shift

    services = build_services()
    try:
        buy_labels(
            services,
            workers=int(spec.get("workers", 2)),
            now=now,
            crash_point=crash_point,
            wait_up_to=timedelta(0),
            sleep=lambda _seconds: None,
        )
        push_tracking(services, now=now)
    finally:
        services.close()


def _run_and_exit(spec: dict[str, Any]) -> None:
    code = 0
    try:
        run(spec)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """The fork server: one forked run per line of stdin, one answer line per run."""
    # Everything heavy is imported before any fork; no thread may exist here.
    for name in _WARM:
        importlib.import_module(name)
    assert threading.active_count() == 1, threading.enumerate()
    for line in sys.stdin:
        if not line.strip():
            continue
        spec = json.loads(line)
        random.seed()
        pid = os.fork()
        if pid == 0:
            _run_and_exit(spec)
        _, status = os.waitpid(pid, 0)
        answer = {
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def main(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        serve()
    elif argv[:1] == ["run"] and len(argv) == 2:
        _run_and_exit(json.loads(argv[1]))
    else:
        sys.exit("usage: driver.py serve | driver.py run '<json spec>'")


if __name__ == "__main__":
    main(sys.argv[1:])
