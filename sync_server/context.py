"""The objects every service shares: config, engine, clock, platform client, server keys, threads."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from billing_core.clock import Clock, SystemClock
from sync_server.config import ServerConfig
from sync_server.connectors.finance import FinanceClient
from sync_server.connectors.insurance import InsuranceClient
from sync_server.threads import ThreadOwner

if TYPE_CHECKING:
    from sync_server.store.liveness import Liveness


@dataclass
class ServerContext:
    """Shared state of one server (or worker) process.

    :ivar instance: a random id of this process; pending issuing claims and running batches
        carry it, so work left by a killed process is recognised and taken over.
    :ivar liveness: this process's liveness lock (sync_server.store.liveness); None in a
        context built by hand, which then treats every other owner as dead.
    :ivar upstream: the one platform client (connectors.policy: breaker, issuing outcome,
        lookups before re-sends, ``ext`` for the §17 extensions), shared by every thread.
    :ivar wake: set to make the outbox worker run a cycle now.
    :ivar stop: set at shutdown; every background loop watches it.
    :ivar threads: the owner of every thread this context starts (sync_server.threads);
        :meth:`close` joins them.
    """

    config: ServerConfig
    engine: Engine
    upstream: FinanceClient
    sm2_private: bytes
    sm2_public: bytes
    clock: Clock = field(default_factory=SystemClock)
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)
    wake: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    liveness: Liveness | None = None
    #: the insurance platform's client (connectors/insurance.py); None when none is configured
    insurance: InsuranceClient | None = None
    threads: ThreadOwner = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.threads = ThreadOwner(self.stop, self.wake)

    def close(self, timeout: float = 8.0) -> list[str]:
        """Shut down: stop and join every owned thread, then release the liveness lock (our claims
        stay ours until our threads are done with them) and the database pool. Idempotent; the
        names of threads that did not end in time. The default timeout fits a clean stop inside
        the 10 s gunicorn grants a worker before SIGKILL (graceful_timeout, sync_server.serving)."""
        left = self.threads.shutdown(timeout)
        if self.liveness is not None:
            self.liveness.release()
        self.upstream.close()
        if self.insurance is not None:
            self.insurance.close()
        self.engine.dispose()
        return left

    def owner_alive(self, owner: str | None) -> bool:
        """True while the process ``owner`` names still runs (this one included): its claims
        are waited for, never taken over."""
        if not owner:
            return False
        if owner == self.instance:
            return True
        return self.liveness is not None and self.liveness.is_alive(owner)
