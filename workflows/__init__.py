"""Qt-free session layer shared by the cashier app, the kiosk app and the headless terminal runtime.

* :mod:`workflows.issuing` — :class:`~workflows.issuing.IssuingWorkflow`: online bills through the
  sync server, emergency bills from local stock when it is unreachable, notices, status snapshot.
* :mod:`workflows.sync_client` / :mod:`workflows.link` — the platform envelope to the sync server
  behind a circuit breaker, with link up/down events.
* :mod:`workflows.emergency` — limits, the hash-chained journal writer, stock, upload.
* :mod:`workflows.terminal` — ``python -m workflows.terminal --config FILE``.

Imports only billing_core, devices, offline_store and print_templates of ours (DESIGN.md §2).
"""
