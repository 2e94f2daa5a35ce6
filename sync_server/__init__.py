"""The in-hospital sync server: the platform's HIS interface for HIS and terminals, its own
records, forwarding to the finance platform, emergency issuing and carry-forward (issue 4)."""

from __future__ import annotations

from typing import Any


def create_app(config: Any = None) -> Any:
    """The Flask application factory (see sync_server.app.create_app)."""
    from sync_server.app import create_app as _create

    return _create(config)
