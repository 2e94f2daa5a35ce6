"""Production serving on Linux: the server under gunicorn (``gthread`` workers).

``python -m sync_server serve --processes N`` (or ``--server gunicorn``) runs N gunicorn worker
processes on one port; IT may also start gunicorn itself with the config module of this package::

    gunicorn -c python:sync_server.serving.gunicorn_conf sync_server.serving.wsgi:application

Either way the same hooks (:mod:`sync_server.serving.hooks`) hold the rules the project's own
supervisor used to hold: the database is migrated and seeded once in the master before the port
opens; only the worker in slot 0 runs the outbox worker thread; every worker holds its own
liveness lock (sync_server.store.liveness) so siblings take over a dead one's claims at once;
a worker dies with its master. waitress stays for Windows and single-process starts.
"""
