"""The WSGI application for a gunicorn started by IT (``sync_server.serving.wsgi:application``).

Built when a worker imports this module, after the fork: its configuration is file + environment
(sync_server.config) with the outbox worker thread only in slot 0 (sync_server.serving.hooks).
"""

from __future__ import annotations

from sync_server.app import create_app
from sync_server.config import load_config
from sync_server.serving.hooks import slot_overrides

application = create_app(load_config(slot_overrides(load_config().worker)))
