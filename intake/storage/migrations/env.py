"""Alembic environment: migrations run on the engine the caller passes in."""

from __future__ import annotations

from alembic import context

import intake.storage.models  # noqa: F401  (registers every table on the metadata)
from intake.storage.base import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
