"""Serve an ASGI app with uvicorn in a daemon thread: the simulators, the webhook receiver."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from starlette.types import ASGIApp

_START_TIMEOUT = 10.0


class RunningServer:
    """A uvicorn server running in a background thread; stop it with `stop()` or a `with` block."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, host: str, port: int):
        self._server = server
        self._thread = thread
        self.host = host
        self.port = port
        self.base_url = f"http://{host}:{port}"

    def stop(self) -> None:
        """Ask the server to exit and wait for its thread. Safe to call more than once."""
        self._server.should_exit = True
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start `app` on `host:port` (0 = a free port) and return once it accepts connections.

    Raises:
        OSError: the address cannot be bound (in use, not local); raised here, in the caller's
            thread, because the socket is bound before the server thread starts.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets whose protocol says TCP, and
    # with Nagle on every response waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:  # OSError, or a TypeError for a host name that cannot be encoded
        sock.close()
        raise
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    # uvicorn installs signal handlers only on the main thread, so running it here leaves the
    # host process's Ctrl+C handling alone.
    real_port = int(sock.getsockname()[1])
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"sandbox-{host}:{real_port}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the server on {host}:{port} failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            thread.join()
            raise RuntimeError(f"the server on {host}:{port} did not start in time")
        time.sleep(0.005)
    return RunningServer(server, thread, host, real_port)
