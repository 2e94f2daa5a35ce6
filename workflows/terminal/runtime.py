"""The headless terminal: the issuing workflow, a background round, and the control socket.

Start-up order matters for crash recovery: open the store (migrations), build the workflow,
resume unfinished print jobs (a notice that died mid-print comes out again marked 补打), then
serve commands. The background round (every ``maintain_interval`` s) probes the link — so an
outage is seen even when nobody issues and the link comes back by itself — and, when up, uploads
the journal, retries unacknowledged 申退 returns and applies revocations.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

from billing_core.clock import Clock, SystemClock
from billing_core.errors import BillingError
from offline_store import journal, writeoffs
from workflows.errors import ControlError
from workflows.terminal.builder import build_terminal
from workflows.terminal.config import TerminalConfig
from workflows.terminal.control import ControlServer
from workflows.terminal.lock import DataDirLock

log = logging.getLogger(__name__)

CRASH_ENV = "TERMINAL_CRASH_AT"


def _crash_hook(point_wanted: str) -> Any:
    def hook(point: str) -> None:
        if point == point_wanted:
            log.warning("fault injection: SIGKILL at %s", point)
            os.kill(os.getpid(), signal.SIGKILL)
    return hook


class TerminalRuntime:
    """One terminal process."""

    def __init__(self, config: TerminalConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.lock = DataDirLock(config.data_dir)
        self.lock.acquire()  # before touching the store: one runtime per data directory
        crash_at = os.environ.get(CRASH_ENV) or config.crash_at
        # The one terminal builder (the cashier window uses it too): client, store, key, printer, workflow.
        self.terminal = build_terminal(config, clock=self.clock,
                                       crash_hook=_crash_hook(crash_at) if crash_at else None)
        self.db = self.terminal.db
        self.sync = self.terminal.sync
        self.workflow = self.terminal.workflow
        self.link_events: list[dict[str, Any]] = []
        self.sync.events.subscribe(lambda e: self.link_events.append(
            {"up": e.up, "at": e.at.isoformat(), "reason": e.reason}))
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one command at a time: the cashier issues one bill at a time
        self.control = ControlServer(self.handle)
        self.resumed: list[dict[str, Any]] = []

    # --- lifecycle ---------------------------------------------------------------------------

    def run(self) -> None:
        """Resume prints, start the control socket and the background round; block until shutdown."""
        self.resumed = [r.as_dict() for r in self.workflow.resume_prints()]
        self.control.start(self.config.port_file)
        log.info("terminal %s ready on control port %s", self.config.terminal, self.control.port)
        interval = self.config.maintain_interval
        while not self._stop.wait(interval if interval > 0 else 3600):
            if interval > 0:
                self._round()
        self.control.stop()
        self.db.close()
        self.lock.release()

    def _round(self) -> None:
        with self._lock:
            try:
                self.workflow.maintain(top_up=self.config.top_up)
            except BillingError as exc:
                log.warning("background round: %s", exc)

    def shutdown(self) -> None:
        self._stop.set()

    # --- commands ----------------------------------------------------------------------------

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        """Run one control command (see :mod:`workflows.terminal.control`)."""
        cmd = str(req.get("cmd") or "")
        func = getattr(self, f"cmd_{cmd}", None)
        if func is None:
            return {"ok": False, "code": ControlError.code, "message": f"未知的控制命令：{cmd}"}
        try:
            with self._lock:
                return {"ok": True, "result": func(req)}
        except BillingError as exc:
            return {"ok": False, "code": exc.code, "message": exc.message}

    def cmd_ping(self, req: dict[str, Any]) -> Any:
        return {"pid": os.getpid(), "terminalId": self.config.terminal, "resumed": self.resumed}

    def cmd_status(self, req: dict[str, Any]) -> Any:
        return {**self.workflow.status().as_dict(), "linkEvents": self.link_events}

    def cmd_issue(self, req: dict[str, Any]) -> Any:
        outcome = self.workflow.issue(str(req["method"]), dict(req["request"]))
        result: dict[str, Any] = {"outcome": outcome.as_dict()}
        if req.get("print"):
            try:
                result["print"] = self.workflow.print_notice(outcome).as_dict()
            except BillingError as exc:
                result["print"] = {"printed": False, "error": f"{exc.code} {exc.message}"}
        return result

    def cmd_print(self, req: dict[str, Any]) -> Any:
        return self.workflow.print_notice(str(req["busNo"])).as_dict()

    def cmd_reprint(self, req: dict[str, Any]) -> Any:
        return self.workflow.reprint_notice(str(req["busNo"])).as_dict()

    def cmd_resume_prints(self, req: dict[str, Any]) -> Any:
        return [r.as_dict() for r in self.workflow.resume_prints()]

    def cmd_upload(self, req: dict[str, Any]) -> Any:
        return self.workflow.upload_pending(limit=int(req.get("limit", -1))).as_dict()

    def cmd_maintain(self, req: dict[str, Any]) -> Any:
        return self.workflow.maintain(top_up=int(req.get("top_up", 0)))

    def cmd_pushed(self, req: dict[str, Any]) -> Any:
        """What the management web pushed and this terminal applied (version, parameters,
        functions, upgrade offer, the emergency limits in force)."""
        return self.workflow.pushed.as_dict()

    def cmd_probe(self, req: dict[str, Any]) -> Any:
        return {"up": self.sync.probe(), "state": self.sync.state.value}

    def cmd_stock_out(self, req: dict[str, Any]) -> Any:
        block = self.workflow.request_stock(int(req.get("count", 50)), str(req.get("operator") or "terminal"))
        return {"blockId": block.id, "billBatchCode": block.bill_batch_code, "bgnNo": block.number(block.bgn_no),
                "endNo": block.number(block.end_no)}

    def cmd_write_off(self, req: dict[str, Any]) -> Any:
        """冲红 of an emergency bill the server does not hold yet: queued behind the bill's upload
        (``request`` = the writeOffEBill data: reason, operator, busDateTime, placeCode)."""
        return _mark(self.workflow.queue_write_off(str(req["busNo"]), dict(req["request"])))

    def cmd_write_offs(self, req: dict[str, Any]) -> Any:
        """Where the queued write-off of ``busNo`` stands (queued, sent, done with the red bill, held, refused)."""
        mark = writeoffs.mark_of(self.workflow.db, str(req["busNo"]))
        if mark is None:
            raise ControlError(f"业务流水号{req['busNo']}没有应急票据冲红记录")
        return _mark(mark)

    def cmd_register(self, req: dict[str, Any]) -> Any:
        return {"registered": self.workflow.register_key()}

    def cmd_stock_return(self, req: dict[str, Any]) -> Any:
        return [r.as_dict() for r in self.workflow.return_stock(str(req.get("reason") or "终端申退"))]

    def cmd_refresh_catalog(self, req: dict[str, Any]) -> Any:
        return self.workflow.refresh_catalog()

    def cmd_journal(self, req: dict[str, Any]) -> Any:
        return [{"seq": e.seq, "busNo": e.bus_no, "billBatchCode": e.bill_batch_code, "billNo": e.bill_no,
                 "random": e.random, "state": e.state, "hash": e.hash, "prevHash": e.prev_hash}
                for e in journal.entries(self.db)]

    def cmd_print_jobs(self, req: dict[str, Any]) -> Any:
        return [{"id": r["id"], "ref": r["ref"], "state": r["state"], "attempts": r["attempts"],
                 "printedCount": r["printed_count"]}
                for r in self.db.all("SELECT * FROM print_jobs ORDER BY id")]

    def cmd_shutdown(self, req: dict[str, Any]) -> Any:
        self.shutdown()
        return "bye"


def _mark(mark: writeoffs.WriteOffMark) -> dict[str, Any]:
    """A write-off mark as the control socket answers it."""
    return {"busNo": mark.bus_no, "billBatchCode": mark.bill_batch_code, "billNo": mark.bill_no,
            "billState": mark.bill_state, "state": mark.state, "result": mark.result, "at": mark.at}
