"""One daemon per state folder: a kernel file lock, released by the kernel even on ``kill -9``.

``filelock`` uses ``flock`` on Unix and ``LockFileEx`` on Windows. The holder's PID goes into a
separate file for display only: ``filelock`` truncates the lock file when it opens it, and the
lock, not the PID file, is the truth.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from creatorflow.errors import CreatorflowError, ExitCode
from creatorflow.fileio import write_atomically

LOCK_NAME = "daemon.lock"
PID_NAME = "daemon.pid"


class DaemonAlreadyRunningError(CreatorflowError):
    """Another daemon holds the lock of this installation."""

    title = "Daemon already running"
    exit_code = ExitCode.USAGE

    def __init__(self, pid: int | None, lock_path: Path) -> None:
        who = f"PID {pid}" if pid is not None else "another process"
        super().__init__(
            f"Another CreatorFlow daemon ({who}) holds {lock_path}.",
            hint="Stop it first, or see `creatorflow daemon status`.",
        )
        self.pid = pid


class InstanceLock:
    """The single-instance lock in ``state_dir``; use as a context manager or acquire/release."""

    def __init__(self, state_dir: Path) -> None:
        self.lock_path = state_dir / LOCK_NAME
        self.pid_path = state_dir / PID_NAME
        self._lock = FileLock(str(self.lock_path), thread_local=False)

    def holder_pid(self) -> int | None:
        """The PID recorded by the current (or last) holder, if readable."""
        try:
            return int(self.pid_path.read_text(encoding="utf-8").split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def acquire(self) -> None:
        """Take the lock now or raise :class:`DaemonAlreadyRunningError` naming the holder."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise DaemonAlreadyRunningError(self.holder_pid(), self.lock_path) from None
        write_atomically(self.pid_path, f"{os.getpid()}\n", mode=0o644)

    def release(self) -> None:
        """Let go of the lock (the kernel does it anyway when the process dies)."""
        if self._lock.is_locked:
            if self.holder_pid() == os.getpid():
                self.pid_path.unlink(missing_ok=True)
            self._lock.release()

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
