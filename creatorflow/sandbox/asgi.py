"""Small ASGI pieces the simulators share."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["MethodDispatch"]


class MethodDispatch:
    """The endpoints of one path, picked by HTTP method.

    Starlette matches routes in order and a path template matches any method, so the
    simulators group their endpoints by path; a class (not a function) so that Starlette
    treats it as an ASGI app rather than a request handler.
    """

    def __init__(self, methods: Mapping[str, ASGIApp]) -> None:
        self.methods = dict(methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.methods[scope["method"]](scope, receive, send)
