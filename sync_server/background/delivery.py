"""Delivering one outbox item: each kind goes to the capability that owns it.

* ``carry_forward`` — :func:`sync_server.emergency.carry.deliver_carry_forward` (the carry pool
  delivers most of them; the worker takes the ones the pool left);
* ``change`` — :func:`sync_server.his.changes.deliver_change` (write-offs, paper actions ... queued
  behind their bill while the platform was down);
* ``ins_voucher`` — :func:`sync_server.insurance.vouchers.deliver_voucher` (4901 / 4905 with the
  bill's layout file, to the insurance voucher centre);
* ``notice`` and anything else — sent once with its idempotency key.
"""

from __future__ import annotations

from typing import Any

from billing_core.envelope import loads
from sync_server.connectors.errors import PlatformRejected
from sync_server.context import ServerContext
from sync_server.emergency.carry import deliver_carry_forward
from sync_server.his.changes import deliver_change
from sync_server.insurance.vouchers import deliver_voucher
from sync_server.outbox import queue as outbox
from sync_server.store.db import write_tx


def deliver(ctx: ServerContext, item: dict[str, Any]) -> None:
    """Deliver one claimed item; raises PlatformUnreachable to retry later, DeadLetter to give up."""
    payload = loads(item["payload_json"])
    if item["kind"] == "carry_forward":
        deliver_carry_forward(ctx, item, payload)
    elif item["kind"] == "change":
        deliver_change(ctx, item, payload)
    elif item["kind"] == "ins_voucher":
        deliver_voucher(ctx, item, payload)
    else:
        try:
            ctx.upstream.call(item["method"], payload, idem_key=item["idem_key"])
        except PlatformRejected as exc:
            raise outbox.DeadLetter(f"{exc.code} {exc.message}") from None
        with write_tx(ctx.engine) as conn:
            outbox.finish(conn, ctx.clock, item["id"])
