"""Asynchronous payment notifications: a signed POST of the paid order to its ``notify_url``,
retried (delays of the ``notify_retry`` knob) until the receiver answers ``SUCCESS``.

The receiver must answer HTTP 200 with ``{"code": "SUCCESS"}`` (or the bare text ``SUCCESS``);
anything else, or no answer within 5 s, is a failed attempt. Notifications survive a restart
(they are rows of the database), so a paid order is announced even if the simulator was stopped.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import urllib.error
import urllib.request
from typing import Any

from billing_core import paysign
from simulators.payment.platform import Platform

log = logging.getLogger(__name__)
#: Seconds to wait for a receiver's answer.
POST_TIMEOUT = 5.0


def queue(p: Platform, db: sqlite3.Connection, order_id: int) -> None:
    """Queue the notification of a just-paid order (inside the transaction that paid it)."""
    o = db.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
    payload = {"mch_id": o["mch_id"], "out_trade_no": o["out_trade_no"], "transaction_id": o["transaction_id"],
               "total_fee": o["total_fee"], "trade_state": "SUCCESS", "trade_type": o["trade_type"],
               "channel": o["pay_channel"], "notify_type": "PAYMENT"}
    db.execute("INSERT INTO notifications (order_id, url, payload_json, next_at) VALUES (?, ?, ?, ?)",
               (order_id, o["notify_url"], json.dumps(payload, ensure_ascii=False), p.now()))
    if p.on_paid is not None:
        p.on_paid()


def _post(url: str, body: bytes) -> str:
    """POST and return '' when the receiver acknowledged, else why not."""
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=POST_TIMEOUT) as resp:  # noqa: S310 (http(s) checked at order)
            text = resp.read(4096).decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"发送失败：{exc}"
    try:
        answer: Any = json.loads(text)
    except ValueError:
        answer = text
    ok = answer == "SUCCESS" or (isinstance(answer, dict) and answer.get("code") == "SUCCESS")
    return "" if ok else f"接收方应答不是SUCCESS：{text[:100]}"


def deliver_due(p: Platform) -> int:
    """One pass: try every notification that is due; returns how many were attempted."""
    with p.store.tx() as db:
        due = [dict(r) for r in db.execute("SELECT n.*, o.mch_id FROM notifications n JOIN orders o ON o.id ="
                                           " n.order_id WHERE n.state = 'pending' AND n.next_at <= ? ORDER BY n.id",
                                           (p.now(),))]
        keys = {r["mch_id"]: p.store.merchant(r["mch_id"])["key"] for r in due}  # type: ignore[index]
        retry = p.notify_retry(db)
    for n in due:
        payload = json.loads(n["payload_json"])
        payload.update(nonce_str=paysign.nonce(), timestamp=str(int(p.now())), notify_id=f"N{n['id']:010d}")
        error = _post(n["url"], json.dumps(paysign.signed(payload, keys[n["mch_id"]]), ensure_ascii=False).encode())
        attempts = n["attempts"] + 1
        with p.store.tx() as db:
            if not error:
                db.execute("UPDATE notifications SET state = 'delivered', attempts = ?, delivered_at = ?,"
                           " last_error = '' WHERE id = ?", (attempts, p.now(), n["id"]))
            elif attempts >= len(retry):
                db.execute("UPDATE notifications SET state = 'gave_up', attempts = ?, last_error = ? WHERE id = ?",
                           (attempts, error, n["id"]))
            else:
                db.execute("UPDATE notifications SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                           (attempts, p.now() + retry[attempts], error, n["id"]))
    return len(due)


class Notifier:
    """The background thread that runs :func:`deliver_due` (woken at once when an order is paid)."""

    def __init__(self, p: Platform, interval: float = 0.2) -> None:
        self.p = p
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payment-sim-notifier", daemon=True)
        p.on_paid = self._wake.set

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and join the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                deliver_due(self.p)
            except Exception:  # the notifier must outlive any one bad row; logged for the operator
                log.exception("payment simulator: notification pass failed")
            self._wake.wait(self.interval)
            self._wake.clear()
