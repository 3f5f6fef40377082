"""The local store: SQLAlchemy over SQLite (or PostgreSQL), its tables and migrations."""
