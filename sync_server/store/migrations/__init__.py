"""Alembic migrations of the server database (``versions/``), applied at every start.

:data:`HEAD` is the revision this code needs. The start-up refuses a database that ends
anywhere else after upgrading (E5029): an installation that lost a migration file (a broken
bundle or package) must not serve on a schema it only seems to have, and the bundles'
``--self-test`` reports it. Bump it with every new migration; a unit test
(tests/unit/sync_server/test_ss_migration_head.py) fails until it matches ``versions/``.
"""

HEAD = "0018"
