"""Storage: SQLAlchemy tables, repositories, the unit of work and Alembic migrations.

Owns everything that talks SQL. May import `fireline.domain`; never services, web or CLI.
"""
