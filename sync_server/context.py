"""The objects every service shares: config, engine, clock, platform client, server keys."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from billing_core.clock import Clock, SystemClock
from sync_server.config import ServerConfig
from sync_server.connectors.upstream import Upstream

if TYPE_CHECKING:
    from sync_server.store.liveness import Liveness


@dataclass
class ServerContext:
    """Shared state of one server (or worker) process.

    :ivar instance: a random id of this process; pending issuing claims and running batches
        carry it, so work left by a killed process is recognised and taken over.
    :ivar liveness: this process's liveness lock (sync_server.store.liveness); None in a
        context built by hand, which then treats every other owner as dead.
    :ivar wake: set to make the outbox worker run a cycle now.
    """

    config: ServerConfig
    engine: Engine
    upstream: Upstream
    sm2_private: bytes
    sm2_public: bytes
    clock: Clock = field(default_factory=SystemClock)
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)
    wake: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    liveness: Liveness | None = None

    def owner_alive(self, owner: str | None) -> bool:
        """True while the process ``owner`` names still runs (this one included): its claims
        are waited for, never taken over."""
        if not owner:
            return False
        if owner == self.instance:
            return True
        return self.liveness is not None and self.liveness.is_alive(owner)
