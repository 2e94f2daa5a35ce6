"""The bill, query and survey functions of a kiosk session, and the helpers every flow shares
(a base of :class:`workflows.kiosk.flows.SessionFlows`; the session holds the state)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from billing_core.errors import BillingError
from devices.errors import DeviceError
from offline_store import kiosk_orders
from print_templates.masking import mask_card_no, mask_id_no, mask_phone
from workflows.documents import paper_job
from workflows.errors import LinkError
from workflows.his import HisError, HisUnavailable, Patient
from workflows.kiosk import billing
from workflows.kiosk import functions as fn
from workflows.kiosk.errors import HisUnavailableError, KioskError, KioskInputError
from workflows.kiosk.models import (
    BillHistoryItem,
    BillInfo,
    DailyListView,
    FlowResult,
    IdentifyMethod,
    ReceiptInfo,
    SessionState,
    SurveyQuestion,
)
from workflows.kiosk.outcome import bill_info
from workflows.kiosk.views import daily_view, history_item
from workflows.paper import discover_paper_batch

if TYPE_CHECKING:
    from workflows.kiosk.context import KioskContext


class FlowBase:
    """Shared helpers, bills, queries and the survey of the session's flows."""

    _ctx: KioskContext
    _patient: Patient | None
    _id_card: Any
    _slots: dict[int, Any]
    _admission: str
    _paying: bool
    _reset_after_payment: str

    # Provided by the session (workflows.kiosk.session.KioskSession), declared for the type checker.
    _require_patient: Callable[[], Patient]
    _gate: Callable[[str], None]
    _his: Callable[..., Any]
    _set_state: Callable[[SessionState], None]
    _found: Callable[[Patient, IdentifyMethod], Any]
    reset: Callable[..., None]
    touch: Callable[[], None]

    def _receipt_patient(self, p: Patient | None) -> dict[str, str]:
        if p is None:
            return {}
        return {"name": p.name, "idNo": mask_id_no(p.id_no), "card": mask_card_no(p.hospital_card),
                "phone": mask_phone(p.phone)}

    def _slip(self, kind: str, p: Patient, rows: list[list[str]], order_no: str = "",
              amount: Decimal | None = None) -> ReceiptInfo:
        doc = {"flow": kind, "hospital": self._ctx.workflow.identity.hospital_name,
               "terminal": self._ctx.workflow.identity.terminal_id, "orderNo": order_no,
               "time": self._ctx.clock.now().strftime("%Y-%m-%d %H:%M:%S"), "patient": self._receipt_patient(p),
               "rows": rows, "amount": None if amount is None else f"{amount:.2f}"}
        problem = billing.print_receipt(self._ctx.receipt_printer, doc, self._ctx.width_mm, self._fault)
        return ReceiptInfo(not problem, False, f"{problem}，凭条未能打印" if problem else "")

    def _write_off(self, settlement_no: str, reason: str) -> list[str]:
        """冲红 the e-bill this kiosk issued for a reversed settlement (an emergency bill not uploaded
        yet is queued behind its upload); a bill of another terminal is that terminal's to red-flush."""
        ctx = self._ctx
        rec = ctx.bills.by_bus_no(settlement_no) if ctx.bills is not None and settlement_no else None
        if rec is None or ctx.writeoff is None:
            return []
        try:
            done = ctx.writeoff.write_off(rec, reason or "取消预约", "自助机", void_paper_first=True)
        except (BillingError, LinkError) as exc:
            return [f"原电子票据将由收费处冲红（{exc.message}）"]
        return ["原电子票据已冲红" if done.state == "red" else "原电子票据冲红已排队，联网后自动提交"]

    def _fault(self, role: str, detail: str) -> None:
        if self._ctx.checkout.fault is not None:
            self._ctx.checkout.fault(role, detail)

    def _stay(self) -> Any:
        p = self._require_patient()
        try:
            stay = self._ctx.his.inpatient(p.patient_id)
        except HisUnavailable as exc:
            raise HisUnavailableError() from exc
        except HisError as exc:
            raise KioskError("您没有住院记录") from exc
        self._admission = stay.admission_no
        return stay

    # --- bills and queries ----------------------------------------------------------------------

    def _kiosk_bills(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for o in self._ctx.checkout.orders():
            for b in self._ctx.checkout.bills_of(o.order_no):
                out[b["settlementNo"]] = b
        return out

    def bill_history(self, kind: str | None = None) -> list[BillHistoryItem]:
        """The patient's settlements with their e-bills (newest first)."""
        p = self._require_patient()
        mine = self._kiosk_bills()
        out = []
        for s in self._his(self._ctx.his.settlements, p.patient_id, kind):
            rec = self._ctx.bills.by_bus_no(s.settlement_no) if self._ctx.bills is not None else None
            out.append(history_item(s, mine.get(s.settlement_no), rec.paper_no if rec is not None else ""))
        return out

    def print_notice(self, settlement_no: str) -> FlowResult:
        """Print the e-bill notice of one of the patient's settlements (issues it first when the
        kiosk has no bill for it yet, e.g. settled at a window with issuer ``terminal``)."""
        p = self._require_patient()
        self._gate(fn.PRINT_NOTICE)
        s = self._his(self._ctx.his.settlement, settlement_no)
        if s.patient_id != p.patient_id:
            raise KioskInputError("结算单号：不是您的结算记录")
        known = [b for b in self._kiosk_bills().values() if b["settlementNo"] == settlement_no]
        bills = billing.issue_bills(self._ctx.workflow, self._ctx.his, self._ctx.workflow.identity.place_code, [s],
                                    known)
        if not bills or bills[0].get("pending"):
            return FlowResult(False, fn.PRINT_NOTICE, "该笔结算暂无电子票据，请到人工窗口咨询", settlement_no=settlement_no)
        problem = billing.print_notices(self._ctx.workflow, bills, self._fault)
        info = ReceiptInfo(False, not problem, f"{problem}，请到人工窗口补打" if problem else "")
        return FlowResult(not problem, fn.PRINT_NOTICE, "已打印电子票据告知单" if not problem else info.message,
                          settlement_no=settlement_no, bill=bill_info(bills[0]), receipt=info)

    def exchange_paper(self, settlement_no: str) -> FlowResult:
        """换开纸质票据 once, on the bill printer (refused the second time)."""
        p = self._require_patient()
        self._gate(fn.PAPER)
        ctx = self._ctx
        s = self._his(ctx.his.settlement, settlement_no)
        if s.patient_id != p.patient_id:
            raise KioskInputError("结算单号：不是您的结算记录")
        rec = ctx.bills.by_bus_no(settlement_no) if ctx.bills is not None else None
        if rec is None or ctx.paper is None:
            return FlowResult(False, fn.PAPER, "该票据不是本机开具的，请到人工窗口换开纸质票据",
                              settlement_no=settlement_no, code="E3900")
        if rec.emergency and not rec.uploaded:
            return FlowResult(False, fn.PAPER, "应急票据上传财政平台后才能换开纸质票据，请稍后再试",
                              settlement_no=settlement_no, code="E3900")
        if rec.paper_no:
            return FlowResult(False, fn.PAPER, f"该票据已换开纸质票据（{rec.paper_no}），每张票据只能换开一次",
                              settlement_no=settlement_no, code="E3900")
        try:
            if not ctx.paper.paper_batch_code:
                ctx.paper.paper_batch_code = discover_paper_batch(ctx.paper.api, ctx.paper.place_code)
            _, number = ctx.paper.next_number()
            rec = ctx.paper.exchange(rec, number, "自助机")
        except (BillingError, LinkError) as exc:
            return FlowResult(False, fn.PAPER, f"换开失败：{exc.message}", settlement_no=settlement_no, code=exc.code)
        identity = ctx.workflow.identity
        printer = ctx.device("bill_printer")
        notes: list[str] = []
        try:
            assert printer is not None
            printer.print_pages(paper_job(rec, identity.hospital_name, place_name=identity.place_name))
        except (DeviceError, AssertionError) as exc:
            self._fault("bill_printer", getattr(exc, "message", "票据打印机不可用"))
            notes.append(f"纸质票据{rec.paper_no}已登记但未能打印，请到人工窗口重打")
        bill = BillInfo(rec.bill_batch_code, rec.bill_no, rec.random, rec.emergency, paper_exchanged=True)
        self._set_state(SessionState.DONE)
        return FlowResult(not notes, fn.PAPER, "已换开纸质票据" if not notes else notes[0],
                          settlement_no=settlement_no, bill=bill, notes=tuple(notes))

    def daily_list(self, day: date) -> DailyListView:
        """One day of the inpatient's fee list (日清单)."""
        stay = self._stay()
        try:
            return daily_view(self._ctx.his.daily_list(stay.admission_no, day))
        except HisUnavailable as exc:
            raise HisUnavailableError() from exc
        except HisError as exc:
            raise KioskInputError(f"日期：{exc.message}") from exc

    def print_daily_list(self, day: date) -> FlowResult:
        """Print one day's fee list on the receipt printer."""
        p = self._require_patient()
        self._gate(fn.QUERY)
        d = self.daily_list(day)
        doc = {"flow": "daily_list", "hospital": self._ctx.workflow.identity.hospital_name,
               "terminal": self._ctx.workflow.identity.terminal_id,
               "time": self._ctx.clock.now().strftime("%Y-%m-%d %H:%M:%S"), "patient": self._receipt_patient(p),
               "rows": [["住院号", d.admission_no], ["日期", d.day.isoformat()], ["累计费用", f"{d.cumulative:.2f}元"],
                        ["押金", f"{d.deposit:.2f}元"]],
               "items": [[x.name, f"{x.qty}", f"{x.amount:.2f}"] for x in d.lines], "amount": f"{d.total:.2f}"}
        problem = billing.print_receipt(self._ctx.receipt_printer, doc, self._ctx.width_mm, self._fault)
        info = ReceiptInfo(not problem, False, problem)
        return FlowResult(not problem, fn.QUERY, "已打印日清单" if not problem else f"{problem}，未能打印",
                          amount=d.total, receipt=info)

    # --- payment wait and survey ----------------------------------------------------------------

    def cancel_payment(self) -> None:
        """The patient pressed 取消 on the payment screen (any thread)."""
        self._ctx.checkout.cancel_payment()

    def survey_questions(self) -> list[SurveyQuestion]:
        """The configured questions ([kiosk].survey)."""
        return list(self._ctx.settings.survey)

    def submit_survey(self, answers: dict[str, str], comment: str = "") -> FlowResult:
        """Store the answers (question key -> chosen option) in the kiosk's store for the control
        centre's summary; works without identification (anonymous)."""
        self._gate(fn.SURVEY)
        questions = {q.key: q for q in self._ctx.settings.survey}
        for key, option in answers.items():
            if key not in questions:
                raise KioskInputError(f"满意度评价：没有问题{key}")
            if option not in questions[key].options:
                raise KioskInputError(f"满意度评价：{questions[key].text}的选项“{option}”无效")
        if not answers:
            raise KioskInputError("满意度评价：请至少回答一题")
        if len(comment) > 500:
            raise KioskInputError("意见建议：最多500字")
        kiosk_orders.add_survey(self._ctx.db, dict(answers), comment.strip(), self._ctx.clock.now().isoformat())
        self.touch()
        return FlowResult(True, fn.SURVEY, "感谢您的评价")

