"""Alembic migrations of the local store; run them through ``creatorflow.store.schema.upgrade``."""
