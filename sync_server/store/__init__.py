"""The server's store: SQLAlchemy Core tables, Alembic migrations, engine and transactions."""
