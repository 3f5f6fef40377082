"""Alembic environment: runs on the connection handed over by ``schema.upgrade``.

There is no ``alembic.ini`` and no URL here. ``creatorflow.store.schema`` builds the config in
code and passes an open connection, already inside a transaction (and, on SQLite, with foreign
keys off) as ``config.attributes["connection"]``.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from creatorflow.store.tables import metadata


def _render_item(kind: str, obj: Any, _autogen: AutogenContext) -> str | Literal[False]:
    # Migrations keep plain SQL types: they must not change meaning when the Python types do.
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("CreatorFlow migrations run online only: use `creatorflow db upgrade`.")
_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("Run migrations through creatorflow.store.schema.upgrade().")
_run(_connection)
