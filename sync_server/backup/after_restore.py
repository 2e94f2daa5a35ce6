"""The first start after a restore: retire the restored emergency blocks, the platform's state wins.

A restored database is older than what happened since: the server's own emergency blocks show a
``next_no`` below numbers it may already have issued (and carried forward) after the backup.
Issuing from them again would reuse printed numbers, so the first process that starts after
``admin restore`` retires every active server block before any request is served, then gives
each block's apparently unused tail back to the platform (``emergencyStockReturn``). The
platform refuses a tail holding a number it has seen used: that is a conflict — numbers issued
after the backup that the restored database does not know — and it is reported (audit row, log,
``admin restore-report``); the block stays retired either way. New emergency numbers then come
only from fresh blocks the platform reserves (the worker's top-up), which never overlap.

Blocks handed to terminals need nothing: a terminal keeps its own counter. A block handed out
after the backup is unknown to the restored database; that terminal's uploads from it are
refused and reported until IT revokes it (docs/OPERATIONS.md "Restore").
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from billing_core.clock import ts17
from billing_core.envelope import dumps
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.security.audit import SERVER, Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import settings, stock_ranges

log = logging.getLogger(__name__)
#: settings row written by ``admin restore``: the backup's manifest; taken by the first start
RESTORED = "restored_from"
#: settings row with the report of the last after-restore reconciliation (``admin restore-report``)
REPORT = "restore_report"


def mark_restored(ctx: ServerContext, manifest: dict[str, Any], who: Actor) -> None:
    """Record in the restored database that it was restored (``admin restore`` calls this)."""
    value = dumps({**manifest, "restoredAt": ts17(ctx.clock.now())})
    with write_tx(ctx.engine) as conn:
        conn.execute(delete(settings).where(settings.c.name == RESTORED))
        conn.execute(insert(settings).values(name=RESTORED, value=value))
        audit(conn, ctx.clock, who, "restore", "database", manifest.get("created", ""), None, manifest)


def reconcile_after_restore(ctx: ServerContext) -> dict[str, Any] | None:
    """Retire the restored server blocks and check them with the platform; the report, or None
    when the database was not restored (or another process already did this)."""
    with write_tx(ctx.engine) as conn:
        marker = conn.execute(delete(settings).where(settings.c.name == RESTORED)
                              .returning(settings.c.value)).scalar()
        if marker is None:
            return None
        blocks = [dict(r) for r in conn.execute(select(stock_ranges).where(and_(
            stock_ranges.c.kind == "emergency_server", stock_ranges.c.state == "active"))).mappings()]
        for block in blocks:
            conn.execute(update(stock_ranges).where(stock_ranges.c.id == block["id"]).values(state="retired"))
            audit(conn, ctx.clock, SERVER, "retire_after_restore", "stock_range", block["id"],
                  {"state": "active", "next_no": block["next_no"]}, {"state": "retired"})
    report: dict[str, Any] = {"restoredFrom": json.loads(marker), "retired": [], "conflicts": [], "unchecked": []}
    for block in blocks:
        width = len(block["bgn_no"])
        bgn, end = int(block["next_no"]), int(block["end_no"])
        entry = {"placeCode": block["place_code"], "billBatchCode": block["bill_batch_code"],
                 "billBgnNo": str(bgn).zfill(width), "billEndNo": block["end_no"]}
        report["retired"].append(entry)
        if bgn > end:
            continue  # nothing left that could be given back
        try:
            ctx.upstream.ext.emergency_stock_return(block["place_code"], block["bill_batch_code"], entry["billBgnNo"],
                                                    entry["billEndNo"], "恢复备份后作废（号段可能在备份后已使用）")
        except PlatformRejected as exc:
            # the platform has seen a number of this tail used: issued after the backup
            report["conflicts"].append({**entry, "code": exc.code, "message": exc.message})
        except PlatformUnreachable as exc:
            report["unchecked"].append({**entry, "message": exc.message})
    with write_tx(ctx.engine) as conn:
        conn.execute(delete(settings).where(settings.c.name == REPORT))
        conn.execute(insert(settings).values(name=REPORT, value=dumps(report)))
        audit(conn, ctx.clock, SERVER, "restore_reconciled", "database", "", None,
              {"retired": len(report["retired"]), "conflicts": report["conflicts"],
               "unchecked": len(report["unchecked"])})
    for conflict in report["conflicts"]:
        log.warning("恢复冲突：号段%s %s-%s 在备份后已有号码开具：%s", conflict["billBatchCode"],
                    conflict["billBgnNo"], conflict["billEndNo"], conflict["message"])
    return report


def last_report(ctx: ServerContext) -> dict[str, Any] | None:
    """The report of the last after-restore reconciliation (None: there was none)."""
    with read_tx(ctx.engine) as conn:
        value = conn.execute(select(settings.c.value).where(settings.c.name == REPORT)).scalar()
    return None if value is None else dict(json.loads(value))
