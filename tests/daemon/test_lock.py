"""One daemon per installation: a kernel lock that a second process cannot take, and that
``kill -9`` of the holder releases."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from creatorflow.daemon.lock import DaemonAlreadyRunningError, InstanceLock

HOLDER = """
import sys, time
from pathlib import Path
from creatorflow.daemon.lock import InstanceLock
lock = InstanceLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_holder_is_refused_with_the_pid_until_the_first_is_killed(
    tmp_path: Path,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(DaemonAlreadyRunningError) as refused:
            InstanceLock(tmp_path).acquire()
        assert refused.value.pid == holder.pid
        assert str(holder.pid) in str(refused.value)
        assert refused.value.exit_code == 2

        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with InstanceLock(tmp_path) as lock:
            assert lock.holder_pid() is not None
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


def test_release_lets_another_holder_in(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path)
    first.acquire()
    first.release()
    with InstanceLock(tmp_path):
        pass
