"""Which processes are still alive, and freeing what dead ones held.

Workers name themselves ``host:pid[:role]`` (:func:`creatorflow.services.label_buying.worker_name`)
when they claim an effect. A claim made on this machine by a process that no longer exists was
left by a ``kill -9``, a crash or a power cut: its lease can end now instead of minutes later.
Claims made on other machines (stations sharing PostgreSQL) are left to their leases.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from creatorflow.services.context import Services


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but not ours (EPERM), or a platform without signal 0
        return True
    return True


def holder_alive(worker: str, *, hostname: str | None = None) -> bool:
    """Whether worker ``host:pid[:role]`` may still be running; unknown shapes count as alive."""
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != (hostname or socket.gethostname()) or not pid_text.isdigit():
        return True
    return pid_alive(int(pid_text))


def release_orphaned_claims(services: Services, *, now: datetime | None = None) -> int:
    """End the leases held by dead processes of this machine; how many were ended."""
    from creatorflow.store.effects import expire_orphaned_claims

    with services.store.write() as session:
        return expire_orphaned_claims(session, holder_alive, now=now or datetime.now(UTC))
