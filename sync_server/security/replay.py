"""Refusing replayed signed requests (issue 14 §7).

A signed envelope captured on the wire (or re-sent by a confused proxy) must not act twice: the
same ``sendBillNotice`` sent three times made three platform calls. Each accepted request leaves
one row in ``request_noises`` (appid + SHA-256 of noise and signature, UNIQUE together) for
:data:`WINDOW` seconds; a second insert of the same pair fails in the database — whichever server
process, SQLite or PostgreSQL — and the request is refused with E2060 before it is handled.

Only an identical envelope is a replay: the signature covers the data, so an attacker cannot
vary it, while two different requests that happen to share a timestamp noise (clients sending
``yyyyMMddHHmmssSSS``, spec §1.3) are both served. An HIS that re-sends an issue request signs it
again with a new noise, and busNo idempotency answers it with the bill (his/issuing.py).

A refused request leaves nothing behind: :meth:`ReplayGuard.forget` deletes the row again, so a
client may retry a refused or failed request with the same envelope (nothing of it happened).

Issuing requests do not pay a transaction of their own for the row (issue 14's benchmark budget):
the row is inserted as the first statement of the issuing claim's transaction
(:func:`record_deferred`), so a used envelope — or two copies of one racing — meets the UNIQUE
key there, before anything of it happened or reached the platform. A request that ends without a
write of its own (a repeat answered from the record) has the row written when it is answered.
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from sync_server.errors import ReplayError
from sync_server.store.db import write_tx
from sync_server.store.replay_schema import request_noises

#: How long a noise stays used (seconds): longer than any client retries an envelope.
WINDOW = 24 * 3600
#: Expired rows are purged at most this often per process (seconds).
PURGE_EVERY = 600.0


@dataclass(slots=True)
class Deferred:
    """An accepted envelope whose row waits for the request's first write transaction."""

    appid: str
    key: str
    expires_at: int
    noise: str
    written: bool = False


#: The deferred record of the request this thread is handling (contextvars: one per request).
_deferred: contextvars.ContextVar[Deferred | None] = contextvars.ContextVar("replay_deferred", default=None)
_INSERT = insert(request_noises)


def _refused(appid: str, noise: str) -> ReplayError:
    return ReplayError(f"该请求已受理过（appid={appid}，noise={noise[:64]}），重复提交已拒绝；"
                       "重新提交请使用新的noise重新签名")


def record_deferred(conn: Connection) -> None:
    """Insert the deferred noise row of the current request (if any) in ``conn``'s transaction;
    call it first in the transaction, before anything the request changes.

    :raises ReplayError: E2060, a copy of this envelope got there first (the caller's
        transaction rolls back: nothing of this request happened).
    """
    pending = _deferred.get()
    if pending is None or pending.written:
        return
    try:
        conn.execute(_INSERT, {"appid": pending.appid, "digest": pending.key, "expires_at": pending.expires_at})
    except IntegrityError:
        raise _refused(pending.appid, pending.noise) from None
    pending.written = True


def digest(noise: str, sign: str) -> str:
    """The stored key of one envelope (fixed length, whatever the noise's length)."""
    return hashlib.sha256(f"{noise}\0{sign}".encode()).hexdigest()


class ReplayGuard:
    """The per-process handle on ``request_noises``."""

    def __init__(self, engine: Engine, window: int = WINDOW) -> None:
        self._engine = engine
        self._window = window
        self._lock = threading.Lock()
        self._purged = time.monotonic()

    def claim(self, appid: str, noise: str, sign: str) -> str:
        """Record the envelope as used; its key (for :meth:`forget`).

        :raises ReplayError: E2060, the envelope was accepted before within the window.
        """
        key = digest(noise, sign)
        now = int(time.time())  # wall-clock epoch: rows are shared by processes and outlive them
        self._maybe_purge(now)
        try:
            with write_tx(self._engine) as conn:
                conn.execute(_INSERT, {"appid": appid, "digest": key, "expires_at": now + self._window})
        except IntegrityError:
            raise _refused(appid, noise) from None
        return key

    def defer(self, appid: str, noise: str, sign: str) -> Deferred:
        """Defer the envelope's row to the request's first write transaction
        (:func:`record_deferred`); :meth:`settle` when the request is answered. Only for
        requests whose first write comes before anything they do outside the database (the
        issuing claim): a used envelope is refused there, having done nothing.
        """
        now = int(time.time())
        self._maybe_purge(now)
        pending = Deferred(appid, digest(noise, sign), now + self._window, noise)
        _deferred.set(pending)
        return pending

    def settle(self, pending: Deferred, accepted: bool) -> None:
        """End a deferred request: an accepted one that wrote nothing has its row written now;
        a refused one that wrote it has it deleted again (it may be retried unchanged).

        :raises ReplayError: E2060, a copy of the envelope was accepted meanwhile.
        """
        _deferred.set(None)
        if accepted and not pending.written:
            try:
                with write_tx(self._engine) as conn:
                    conn.execute(_INSERT, {"appid": pending.appid, "digest": pending.key,
                                           "expires_at": pending.expires_at})
            except IntegrityError:
                raise _refused(pending.appid, pending.noise) from None
        elif not accepted and pending.written:
            self.forget(pending.appid, pending.key)

    def forget(self, appid: str, key: str) -> None:
        """Delete the record of a request that was refused (it did nothing; it may be retried)."""
        with write_tx(self._engine) as conn:
            conn.execute(delete(request_noises).where(request_noises.c.appid == appid,
                                                      request_noises.c.digest == key))

    def _maybe_purge(self, now: int) -> None:
        with self._lock:
            if time.monotonic() - self._purged < PURGE_EVERY:
                return
            self._purged = time.monotonic()
        with write_tx(self._engine) as conn:
            conn.execute(delete(request_noises).where(request_noises.c.expires_at < now))
