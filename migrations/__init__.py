"""Alembic migrations: the only way vidseek's schema is made or changed."""
