"""One command line for the server: ``python -m sync_server [COMMAND] [ARGS]``.

=============  ==========================================================================
``serve``      the HTTP server (the default when the first argument is an option or absent)
``worker``     the outbox worker as its own process (server started with ``--worker none``)
``reconcile``  the daily reconciliation by hand (exit 1 when not clean)
``admin``      callers, users and the charge-item catalogue
``emergency``  terminals' emergency mode: revoke, carry-forward report, alarms, settings
``insurance``  ``insurance reconcile --day D``: insurance reconciliation (3201 / 3202)
``self-test``  is this installation whole (also ``--self-test``; run after installing a bundle)
=============  ==========================================================================

Each command lives in its own module here and is imported only when chosen, so ``admin`` does
not start waitress and ``serve`` does not load the admin tools.
"""

from __future__ import annotations

import importlib
import sys

from sync_server.store.files import secure_umask

COMMANDS = {
    "serve": "sync_server.cli.serve",
    "worker": "sync_server.cli.worker",
    "reconcile": "sync_server.cli.reconcile",
    "admin": "sync_server.cli.admin",
    "emergency": "sync_server.cli.emergency",
    "insurance": "sync_server.cli.insurance",
    "self-test": "sync_server.cli.selftest",
}


def main(argv: list[str] | None = None) -> int:
    """Run one command; ``serve`` when the first argument is not a command name."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = "serve"
    if args[:1] == ["--self-test"]:  # the spelling every bundle of the product answers to
        args[0] = "self-test"
    if args and args[0] in COMMANDS:
        name = args.pop(0)
    elif args in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    secure_umask()  # the data dir's files (database, keys, demo.json) are the server account's alone
    module = importlib.import_module(COMMANDS[name])
    result: int = module.main(args)
    return result
