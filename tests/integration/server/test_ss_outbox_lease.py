"""The outbox on SQLite and PostgreSQL: ``due`` answers the due head of each group in id order
(paging past groups' later items), ``claim_many`` (the carry pool's one-statement lease) takes
exactly the items still pending and due, never one leased or finished elsewhere."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select, update

from sync_server.outbox import queue as outbox
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import outbox as outbox_table

pytestmark = pytest.mark.integration


# The items fall due an hour from now, so the server's own worker (on the real clock) leaves them
# alone and the claims below pass that time as "now".
DUE = time.time() + 3600


def _items(server, n: int, groups: list[str] | None = None) -> list[dict]:  # noqa: ANN001 - conftest fixture
    tag = uuid.uuid4().hex[:8]
    names = groups or [str(i) for i in range(n)]
    with write_tx(server.ctx.engine) as conn:
        ids = [outbox.enqueue(conn, server.ctx.clock, group=f"LEASE-{tag}-{g}", kind="notice",
                              method="noop", payload={"i": i}, idem_key=f"lease:{tag}:{i}") for i, g in enumerate(names)]
        conn.execute(update(outbox_table).where(outbox_table.c.id.in_(ids)).values(next_at=DUE))
    with read_tx(server.ctx.engine) as conn:
        rows = conn.execute(select(outbox_table).where(outbox_table.c.id.in_(ids)).order_by(outbox_table.c.id))
        return [dict(r) for r in rows.mappings()]


def test_claim_many_takes_only_what_is_free(server) -> None:  # noqa: ANN001
    items = _items(server, 4)
    now = DUE
    with write_tx(server.ctx.engine) as conn:
        assert outbox.claim(conn, items[0], now)  # leased by another worker
        outbox.finish(conn, server.ctx.clock, items[1]["id"])  # delivered meanwhile
    with write_tx(server.ctx.engine) as conn:
        taken = outbox.claim_many(conn, items, now)
    assert taken == {items[2]["id"], items[3]["id"]}
    with write_tx(server.ctx.engine) as conn:
        assert outbox.claim_many(conn, items, now) == set()  # all leased or done now
        assert outbox.claim_many(conn, [], now) == set()
    with read_tx(server.ctx.engine) as conn:
        rows = {r["id"]: r for r in conn.execute(select(outbox_table).where(
            outbox_table.c.id.in_([i["id"] for i in items]))).mappings()}
    assert [rows[i["id"]]["attempts"] for i in items] == [1, 0, 1, 1]
    assert all(rows[i["id"]]["next_at"] > now for i in (items[0], items[2], items[3]))
    with write_tx(server.ctx.engine) as conn:  # leave nothing pending for the other tests
        for item in items:
            outbox.finish(conn, server.ctx.clock, item["id"])


def test_claim_many_takes_an_expired_lease_again(server) -> None:  # noqa: ANN001
    items = _items(server, 1)
    with write_tx(server.ctx.engine) as conn:
        assert outbox.claim_many(conn, items, DUE - 1) == set()  # not due yet
        assert outbox.claim_many(conn, items, DUE) == {items[0]["id"]}
    later = DUE + outbox.LEASE_SECONDS + 1  # the lease holder died; its lease ran out
    with write_tx(server.ctx.engine) as conn:
        assert outbox.claim_many(conn, items, later) == {items[0]["id"]}
        outbox.finish(conn, server.ctx.clock, items[0]["id"])


def test_due_answers_group_heads_in_order_across_pages(server) -> None:  # noqa: ANN001
    # group A: one head and 59 later items (more than one page for limit 2), then B, C, A again, D
    items = _items(server, 64, ["A"] * 60 + ["B", "C", "A", "D"])
    a, b, c, d = items[0], items[60], items[61], items[63]
    with read_tx(server.ctx.engine) as conn:
        assert [i["id"] for i in outbox.due(conn, DUE, 2)] == [a["id"], b["id"]]
        assert [i["id"] for i in outbox.due(conn, DUE, 100)] == [a["id"], b["id"], c["id"], d["id"]]
        assert outbox.due(conn, DUE - 1, 100) == []  # nothing due yet
    with write_tx(server.ctx.engine) as conn:
        outbox.retry_later(conn, b, "test")  # B's head backs off: B waits, the others do not
        conn.execute(update(outbox_table).where(outbox_table.c.id == b["id"]).values(next_at=DUE + 60))
        outbox.finish(conn, server.ctx.clock, a["id"])  # A's next item becomes its head
    with read_tx(server.ctx.engine) as conn:
        got = [i["id"] for i in outbox.due(conn, DUE, 100)]
    assert got == [items[1]["id"], c["id"], d["id"]]
    with write_tx(server.ctx.engine) as conn:
        for item in items[1:]:
            outbox.finish(conn, server.ctx.clock, item["id"])


def test_due_by_kind_keeps_group_order(server) -> None:  # noqa: ANN001
    tag = uuid.uuid4().hex[:8]
    with write_tx(server.ctx.engine) as conn:
        def put(group: str, kind: str, n: int) -> int:
            return outbox.enqueue(conn, server.ctx.clock, group=f"KIND-{tag}-{group}", kind=kind, method="noop",
                                  payload={}, idem_key=f"kind:{tag}:{n}")
        x_notice, x_carry, y_carry = put("X", "notice", 1), put("X", "carry_forward", 2), put("Y", "carry_forward", 3)
        ids = [x_notice, x_carry, y_carry]
        conn.execute(update(outbox_table).where(outbox_table.c.id.in_(ids)).values(next_at=DUE))
        with pytest.raises(ValueError):
            put("Z", "no_such_kind", 4)
    with read_tx(server.ctx.engine) as conn:
        # X's carry-forward waits behind X's notice even for a caller that only takes carry-forwards
        assert [i["id"] for i in outbox.due(conn, DUE, 100, kinds=("carry_forward",))] == [y_carry]
        assert [i["id"] for i in outbox.due(conn, DUE, 100, kinds=("notice", "change"))] == [x_notice]
        got = outbox.due(conn, DUE, 100)
    assert [i["id"] for i in got] == [x_notice, y_carry] and got[0]["payload_json"] == "{}"
    with write_tx(server.ctx.engine) as conn:
        for i in ids:
            outbox.finish(conn, server.ctx.clock, i)
