"""Fakes for demo mode and tests — never part of a real terminal.

* :mod:`workflows.demo.platform` — :class:`DemoPlatform`, an in-process stateful stand-in for the
  sync server (bills, red bills, paper numbers, emergency stock and carry-forward).
* :mod:`workflows.demo.link` — :class:`DemoSyncClient`: a real SyncClient whose requests transport
  answers from a DemoPlatform without a socket (offline = refused connection).
* :mod:`workflows.demo.catalog`, :mod:`workflows.demo.users` — the demo hospital's charge items and
  window users (password :data:`workflows.demo.users.DEMO_PASSWORD`).
* :mod:`workflows.demo.cashier` — a complete demo cashier window over the demo platform.
* :mod:`workflows.demo.server` — demo mode against a running sync server (its ``demo.json``).

Product modules never import this package (an import-linter contract in pyproject.toml); only the
demo entry points of the apps (``cashier_app.demo``, ``cashier_app.screenshots``) and tests do.
"""
