"""Storage: SQLAlchemy models, the engine (SQLite or PostgreSQL) and Alembic migrations."""
