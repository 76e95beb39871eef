"""pg_trgm for the migrations that build trigram indexes (the queue's word filter)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


def trigram_opclass(bind: Connection) -> str:
    """pg_trgm in the public schema (not the migrating schema, which may be dropped with the
    extension in it), or wherever an earlier install put it; its operator class, qualified."""
    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    schema = bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace "
        "WHERE c.opcname = 'gin_trgm_ops'").scalar_one()
    return f"{schema}.gin_trgm_ops"
