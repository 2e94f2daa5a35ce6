"""The kiosk as a whole: the built terminal, HIS and payment clients, devices, the session, the
money path, device gating, heartbeat, recovery, reconciliation and the cash slip.

The GUI builds one with :func:`workflows.kiosk.builder.build_kiosk`, calls :meth:`Kiosk.start`
once (off the GUI thread: it resumes unfinished orders and prints), :meth:`Kiosk.maintain` from a
background timer (every ~30 s) and shows :meth:`Kiosk.availability` on the menu.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from typing import Any

from billing_core.clock import Clock
from devices.card_events import CardWatcher
from devices.errors import DeviceError
from devices.printer import PaperState
from offline_store import kiosk_orders
from print_templates.cash_reports import cash_slip_job
from workflows.events import Events
from workflows.his import HisClient, HisError
from workflows.kiosk import functions as fn
from workflows.kiosk.checkout import Checkout
from workflows.kiosk.errors import FunctionUnavailableError
from workflows.kiosk.events import KIOSK_AVAILABILITY, KIOSK_CARD_INSERTED, KIOSK_MODE, KIOSK_PRINT
from workflows.kiosk.insured import KioskInsurance
from workflows.kiosk.models import DeviceHealth, FlowResult, FunctionAvailability, ReceiptInfo
from workflows.kiosk.outcome import CST
from workflows.kiosk.pushed import merged_settings
from workflows.kiosk.reconcile import ReconciliationReport, compare
from workflows.kiosk.session import KioskSession
from workflows.kiosk.settings import KioskSettings
from workflows.link import LinkEvent
from workflows.payment_client import PaymentClient
from workflows.pushed_config import PushedConfig
from workflows.terminal.builder import Terminal

log = logging.getLogger(__name__)

#: Sent in the heartbeat (``softwareVersion``).
SOFTWARE_VERSION = "kiosk-1.0.0"
ROLES = ("ssc_reader", "id_reader", "scanner", "camera", "receipt_printer", "bill_printer")
LABELS = {"ssc_reader": "社保卡读卡器", "id_reader": "身份证读卡器", "scanner": "扫码器", "camera": "摄像头",
          "receipt_printer": "凭条打印机", "bill_printer": "票据打印机"}


class Kiosk:
    """One kiosk. Attributes: ``config`` (TerminalConfig), ``terminal`` (the built Terminal:
    store + IssuingWorkflow), ``his`` (HisClient), ``payments`` (PaymentClient | None),
    ``devices`` (devices.registry.DeviceSet), ``events`` (workflows.events.Events),
    ``session`` (KioskSession), ``checkout`` (Checkout), ``settings`` (KioskSettings)."""

    def __init__(self, *, terminal: Terminal, his: HisClient, payments: PaymentClient | None, devices: Any,
                 events: Events, settings: KioskSettings, clock: Clock) -> None:
        self.terminal, self.config = terminal, terminal.config
        self.his, self.payments, self.devices, self.events = his, payments, devices, events
        self.settings, self.clock = settings, clock
        self._faults: dict[str, str] = {}
        self._lock = threading.Lock()
        self._availability: dict[str, FunctionAvailability] = {}
        self._emergency = False
        self._health: dict[str, DeviceHealth] = {}
        self._watcher: CardWatcher | None = None
        self.checkout: Checkout
        self.session: KioskSession
        self.insurance: KioskInsurance | None = None
        terminal.workflow.heartbeat_extra = self._heartbeat_extra
        terminal.sync.events.subscribe(self._on_link)
        #: the [kiosk] settings of the config file; ``settings`` is them with the pushed values over them
        self.own_settings = settings
        self.settings = merged_settings(settings, terminal.workflow.pushed)
        terminal.workflow.pushed.listeners.append(self.apply_pushed)

    def apply_pushed(self, pushed: PushedConfig) -> None:
        """A new configuration from the management web: idle timeout, survey and functions now
        (the session's too), availability re-checked."""
        self.settings = merged_settings(self.own_settings, pushed)
        session = getattr(self, "session", None)  # None while build_kiosk is still wiring the kiosk
        if session is not None:
            session.use_settings(self.settings)
        self.refresh_availability()

    def _on_link(self, event: LinkEvent) -> None:
        # The breaker reports every drop and return, from a flow's issue call or the background round.
        self._mode(not event.up)

    def _mode(self, emergency: bool) -> None:
        with self._lock:
            changed, self._emergency = emergency != self._emergency, emergency
        if changed:
            self.events.emit(KIOSK_MODE, emergency=emergency,
                             reason="同步服务器无法连接，启用应急开票" if emergency else "同步服务器已恢复")

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> list[FlowResult]:
        """Register the terminal key, resume unfinished orders (never charging twice) and
        unfinished print jobs, check devices. Returns the orders it finished."""
        self.refresh_availability()
        self.maintain(resume=False)
        done = self.checkout.resume(print_billed=True)
        self._resume_insured()
        try:
            self.terminal.workflow.resume_prints()
        except Exception as exc:  # a printer fault: the jobs stay for the next start
            log.warning("kiosk: resume prints failed: %s", exc)
        self.refresh_availability()
        return done

    def maintain(self, resume: bool = True) -> dict[str, Any]:
        """One background round: heartbeat with device health / paper / software version,
        emergency uploads and stock, resume orders that could not progress, refresh availability
        (emits ``kiosk_availability`` when it changed, ``kiosk_mode`` when the link changed)."""
        self.refresh_availability()
        done = self.terminal.workflow.maintain(top_up=self.config.top_up, operator="kiosk")
        self._mode(not done.get("linkUp", False))
        if resume:
            done["resumed"] = [r.order_no for r in self.checkout.resume(print_billed=False)]
            done["insuredResumed"] = self._resume_insured()
        return done

    def _resume_insured(self) -> list[str]:
        """Unfinished insured orders (a settlement in doubt, a bill or voucher to follow)."""
        if self.insurance is None:
            return []
        try:
            return self.insurance.resume()
        except Exception as exc:  # a store or link fault: the next round tries again
            log.warning("kiosk: insured resume failed: %s", exc)
            return []

    def watch_card(self, interval: float = 0.3) -> bool:
        """Watch the social-security card reader (a thread of devices.card_events.CardWatcher):
        an insertion emits ``kiosk_card_inserted`` (the attract screen starts identify_ssc), a
        removal calls ``session.card_removed()``; a reader failure gates its functions. False when
        no reader is installed. :meth:`close` stops it."""
        reader = self.devices.by_role("ssc_reader") if self.devices is not None else None
        if reader is None or self._watcher is not None:
            return self._watcher is not None
        self._watcher = CardWatcher(reader, lambda: self.events.emit(KIOSK_CARD_INSERTED),
                                    self.session.card_removed,
                                    lambda err: self.report_fault("ssc_reader", err.message), interval).start()
        return True

    def close(self) -> None:
        """Close the store, the clients and the devices."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        self.session.reset("shutdown")
        self.his.close()
        if self.payments is not None:
            self.payments.close_http()
        if self.devices is not None:
            self.devices.shutdown()
        self.terminal.close()

    # --- devices and functions ------------------------------------------------------------------

    def report_fault(self, role: str, detail: str) -> None:
        """A flow saw a device fail (paper out mid-print): gate its functions until it is healthy."""
        with self._lock:
            self._faults[role] = detail
        self.refresh_availability()

    def device_health(self) -> dict[str, DeviceHealth]:
        """Health of every device role (opened on demand; the receipt printer's paper sensor)."""
        out: dict[str, DeviceHealth] = {}
        for role in ROLES:
            dev = self.devices.by_role(role) if self.devices is not None else None
            if dev is None:
                out[role] = DeviceHealth(role, LABELS[role], False, "未配置")
                continue
            try:
                if not dev.is_open:
                    dev.open()
                paper = ""
                if role == "receipt_printer":
                    status = dev.status()
                    paper = status.paper.value
                    if not status.online or status.paper is PaperState.OUT or status.cover_open:
                        detail = "缺纸" if status.paper is PaperState.OUT else "离线或仓盖打开"
                        out[role] = DeviceHealth(role, LABELS[role], False, detail, paper)
                        continue
                    if status.paper is PaperState.UNKNOWN and role in self._faults:
                        out[role] = DeviceHealth(role, LABELS[role], False, self._faults[role], paper)
                        continue
                with self._lock:
                    self._faults.pop(role, None)
                out[role] = DeviceHealth(role, LABELS[role], True, "", paper)
            except DeviceError as exc:
                out[role] = DeviceHealth(role, LABELS[role], False, exc.message)
        return out

    def availability(self) -> dict[str, FunctionAvailability]:
        """Every function's availability (last computed; :meth:`refresh_availability` re-checks)."""
        if not self._availability:
            return self.refresh_availability()
        return dict(self._availability)

    def refresh_availability(self) -> dict[str, FunctionAvailability]:
        """Re-check device health and recompute; emits ``kiosk_availability`` on a change."""
        self._health = self.device_health()
        computed = fn.availability(self._health, self.settings.functions)
        if computed != self._availability:
            self._availability = computed
            self.events.emit(KIOSK_AVAILABILITY, functions=dict(computed))
        return dict(computed)

    @property
    def emergency(self) -> bool:
        """True while the sync server is unreachable: bills come from emergency stock."""
        return not self.terminal.sync.breaker.is_up

    def _heartbeat_extra(self) -> dict[str, Any]:
        health = self._health
        printer = health.get("receipt_printer")
        return {"devices": {role: {"ok": h.ok, "detail": h.detail} for role, h in health.items()},
                "paper": printer.paper if printer else "", "softwareVersion": SOFTWARE_VERSION,
                "emergency": self.emergency, "kind": "kiosk",
                "unfinishedOrders": len(kiosk_orders.unfinished(self.terminal.db))}

    def heartbeat_body(self) -> dict[str, Any]:
        """What the kiosk reports: the issuing workflow's figures + ``devices`` (role -> ok/detail),
        ``paper`` (receipt printer paper state), ``softwareVersion``, ``emergency``."""
        return self.terminal.workflow._heartbeat_body()

    # --- finance --------------------------------------------------------------------------------

    def reconcile(self, day: date) -> ReconciliationReport:
        """Compare the payment statement, the kiosk's orders and the HIS settlements of a day."""
        if self.payments is None:
            raise FunctionUnavailableError("本机未接入统一支付平台，无对账单")
        statement = self.payments.statement(day)
        orders = kiosk_orders.of_day(self.terminal.db, day.isoformat())
        settlements = []
        for patient_id in sorted({o.patient_id for o in orders if o.patient_id}):
            try:
                settlements.extend(self.his.settlements(patient_id))
            except HisError as exc:
                log.warning("kiosk reconcile: settlements of a patient unavailable: %s", exc.code)
        return compare(day, self.checkout.order_prefix, statement, orders, settlements)

    def print_cash_slip(self, day: date, operator: str, finance_staff: str = "") -> FlowResult:
        """Print the day's 现金收账单 (cash orders, totals, signature lines for finance staff and
        the kiosk operator). :raises FunctionUnavailableError: cash is not enabled on this kiosk."""
        if not self.settings.cash_enabled:
            raise FunctionUnavailableError("本机未开通现金收款")
        orders = [o for o in kiosk_orders.of_day(self.terminal.db, day.isoformat())
                  if o.pay_method == "cash" and o.state != "created"]
        orders.sort(key=lambda o: o.created_at)
        def ts(text: str) -> str:
            return datetime.fromisoformat(text).astimezone(CST).strftime("%Y%m%d%H%M%S")
        trades = [{"time": ts(o.created_at), "payer": o.patient_id, "business": o.subject,
                   "amount": f"{o.amount_fen / 100:.2f}"} for o in orders]
        total = sum(o.amount_fen for o in orders)
        now = self.clock.now().astimezone(CST)
        sample = {"hospital": {"name": self.terminal.identity.hospital_name}, "cashSlip": {
            "terminalId": self.terminal.identity.terminal_id, "location": self.terminal.identity.place_name,
            "batchNo": f"{self.terminal.identity.terminal_id}-{day:%Y%m%d}",
            "periodStart": f"{day:%Y%m%d}000000", "periodEnd": f"{day:%Y%m%d}235959", "trades": trades,
            "cashTotal": f"{total / 100:.2f}", "financeStaff": finance_staff, "operator": operator,
            "printTime": now.strftime("%Y%m%d%H%M%S")}}
        job = cash_slip_job(sample, self.config.printer_width_mm)
        printer = self.devices.by_role("receipt_printer") if self.devices is not None else None
        problem = "本机未配置凭条打印机" if printer is None else ""
        if printer is not None:
            try:
                if not printer.is_open:
                    printer.open()
                printer.print_job(job)
            except DeviceError as exc:
                problem = exc.message
                self.report_fault("receipt_printer", exc.message)
        info = ReceiptInfo(not problem, False, problem)
        self.events.emit(KIOSK_PRINT, receipt=info)
        from decimal import Decimal
        return FlowResult(not problem, "cash_slip", "现金收账单已打印" if not problem else problem,
                          amount=Decimal(total) / 100, receipt=info, notes=(f"现金交易{len(trades)}笔",))
