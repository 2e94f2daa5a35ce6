"""The objects every service shares: config, engine, clock, platform client, server keys."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine

from billing_core.clock import Clock, SystemClock
from sync_server.config import ServerConfig
from sync_server.upstream import Upstream


@dataclass
class ServerContext:
    """Shared state of one server (or worker) process.

    :ivar instance: a random id of this process; pending issuing claims carry it, so a claim
        left by a killed process is recognised and taken over after a restart.
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
