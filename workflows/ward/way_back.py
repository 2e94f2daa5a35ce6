"""The inpatient insurance way back at the nurse station (seed 003 回退流程: 不允许跨单回退) and
the information update, over the server's methods (docs/INSURANCE.md §12.3, §12.4):

    settled     --cancel_settlement (insCancel, 2305)-->      cancelled (the discharge stands)
    discharged  --cancel_discharge  (insCancelDischarge, 2405)--> registered (in hospital again)
    cancelled   --cancel_discharge-->                          cancelled, ``discharged`` False
    registered | cancelled --cancel_fees (insCancelFees, 2302: a day's batch or lines)--> same
    registered | cancelled --cancel_admission (insCancelRegistration, 2404)--> closed
    registered  --change_info (insChangeAdmission, 2403)--> registered

Order is the server's to judge: a step out of order is refused there before anything reaches the
platform (E5616), and that message is shown as is (E3808). The station refuses only what it
knows from its own record (a fee reversal while the discharge stands, a day never uploaded).

Durable: before a step is sent the record holds ``pending`` (step and arguments); the answer
clears it and appends the step's result to ``log``. A step whose answer was lost stays pending
(E3809): sending it again (the nurse's retry or :meth:`resume`) is safe, because the server
checks the state before calling the platform — a repeat of a step that landed is refused by the
state check and taken as done. A fee day reversed leaves ``days``, so the next upload sends it
again (same line numbers: the platform allows a cancelled number again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from billing_core.errors import BillingError
from workflows.errors import LinkError
from workflows.insurance.client import InsuranceApi, platform_down
from workflows.ward.desk import WardDesk
from workflows.ward.errors import (
    WardInputError,
    WardInsuranceError,
    WardWayBackOrderError,
    WardWayBackPendingError,
)


class StayRecords(Protocol):
    """What the way back needs of :class:`workflows.ward.insured.WardInsurance` (no import cycle)."""

    api: InsuranceApi
    desk: WardDesk

    def record(self, admission_no: str) -> dict[str, Any]: ...
    def save(self, admission_no: str, rec: dict[str, Any]) -> dict[str, Any]: ...
    def batches(self, admission_no: str) -> dict[str, dict[str, list[str]]]: ...
    def admissions(self) -> list[str]: ...
    def his_discharged(self, patient_id: str) -> bool: ...

#: The server's "the way back goes one step at a time" refusal.
ORDER_CODE = "E5616"
#: Server refusals that, for a step already sent once whose answer was lost, mean "it landed":
#: the state no longer allows it (E5612) / nothing left to cancel (E5610).
LANDED_CODES = frozenset({"E5612", "E5610"})
STEP_NAMES = {"cancel_settlement": "撤销医保结算", "cancel_discharge": "撤销医保出院登记",
              "cancel_fees": "撤销已上传费用", "cancel_admission": "撤销医保入院登记",
              "change_info": "医保入院信息变更"}
#: 2403 fields the nurse may change (wire names of insChangeAdmission).
INFO_FIELDS = ("begntime", "medType", "diseCodg", "diseName", "deptCode", "deptName", "atddrNo", "drName")


class InsuredWayBack:
    """The way back of one station's insured stays (``WardInsurance.back``)."""

    def __init__(self, ins: StayRecords) -> None:
        self.ins = ins

    # --- the steps ------------------------------------------------------------------------------

    def cancel_settlement(self, admission_no: str, reason: str) -> dict[str, Any]:
        """撤销医保结算 (2305) while the HIS has not taken the discharge."""
        rec = self._open(admission_no, reason)
        if rec.get("state") != "settled" and not self._pending_is(rec, "cancel_settlement"):
            raise WardInputError(f"住院号：{admission_no}没有待撤销的医保结算（状态{_state(rec)}）")
        if self.ins.his_discharged(rec["patientId"]):
            raise WardInputError("医保结算：HIS已办理出院结算，请到住院处办理退费")
        sid = rec["settlementId"]
        return self._step(admission_no, "cancel_settlement", {"reason": reason}, lambda: self.ins.api.cancel(sid).raw,
                          lambda r, ans: r | {"state": "cancelled", "reason": reason})

    def cancel_discharge(self, admission_no: str, reason: str) -> dict[str, Any]:
        """撤销出院登记 (2405): back in hospital (the final settlement must be cancelled first)."""
        rec = self._open(admission_no, reason)
        sid = rec["settlementId"]

        def apply(r: dict[str, Any], ans: dict[str, Any]) -> dict[str, Any]:
            # a stay whose settlement was cancelled stays on the way back; otherwise in hospital again
            return r | {"discharged": False, "state": "cancelled" if r.get("state") == "cancelled" else "registered"}

        return self._step(admission_no, "cancel_discharge", {"reason": reason},
                          lambda: self.ins.api.cancel_discharge(sid).raw, apply)

    def cancel_fees(self, admission_no: str, reason: str, *, day: str = "", sns: Iterable[str] = ()) -> dict[str, Any]:
        """撤销已上传费用 (2302): a day's batch (``day`` yyyy-MM-dd) or some lines (``sns``).
        A day's whole batch reversed is uploaded again by the next ``upload_fees``."""
        rec = self._open(admission_no, reason)
        if _discharged(rec):
            raise WardWayBackOrderError("撤销已上传费用：已办理医保出院登记，请先撤销出院登记，再撤销费用明细")
        batches = self.ins.batches(admission_no)
        chosen = [s.strip() for s in sns if s.strip()]
        if day and not chosen:
            if day not in batches or not batches[day]["live"]:
                raise WardInputError(f"费用日期：{day}没有已上传且未撤销的费用")
            chosen = list(batches[day]["live"])
        if not chosen:
            raise WardInputError("撤销范围：请选择要撤销的费用日期或明细")
        live = {sn for b in batches.values() for sn in b["live"]}
        unknown = [s for s in chosen if s not in live]
        if unknown and not self._pending_is(rec, "cancel_fees"):
            raise WardInputError(f"费用明细：{'、'.join(unknown)}不是已上传且未撤销的明细")
        sid = rec["settlementId"]

        def apply(r: dict[str, Any], ans: dict[str, Any]) -> dict[str, Any]:
            gone = set(chosen)
            cancelled = sorted(set(r.get("cancelledSns", [])) | gone)
            # a day with every line reversed is no longer uploaded: the next upload sends it again
            days = [d for d in r.get("days", [])
                    if d not in batches or not batches[d]["sns"] or set(batches[d]["sns"]) - set(cancelled)]
            return r | {"cancelledSns": cancelled, "days": days}

        return self._step(admission_no, "cancel_fees", {"reason": reason, "sns": chosen},
                          lambda: self.ins.api.cancel_fees(sid, feedetl_sn=chosen), apply)

    def cancel_admission(self, admission_no: str, reason: str) -> dict[str, Any]:
        """撤销医保入院登记 (2404): the last step back (no settlement, fees or discharge left)."""
        rec = self._open(admission_no, reason)
        sid = rec["settlementId"]
        return self._step(admission_no, "cancel_admission", {"reason": reason},
                          lambda: self.ins.api.cancel_registration(sid).raw,
                          lambda r, ans: r | {"state": "closed", "reason": reason})

    def change_info(self, admission_no: str, reason: str, **fields: str) -> dict[str, Any]:
        """医保入院信息变更 (2403) while in hospital: ``fields`` are insChangeAdmission's names."""
        rec = self._open(admission_no, reason)
        bad = sorted(set(fields) - set(INFO_FIELDS))
        if bad:
            raise WardInputError(f"变更项目：{'、'.join(bad)}不能变更")
        changes = {k: v.strip() for k, v in fields.items() if v and v.strip()}
        if not changes:
            raise WardInputError("变更项目：请至少填写一项入院信息（诊断、科室、医师、入院时间）")
        sid = rec["settlementId"]
        return self._step(admission_no, "change_info", {"reason": reason, "fields": changes},
                          lambda: self.ins.api.change_admission(sid, **changes),
                          lambda r, ans: r | {"info": dict(r.get("info", {})) | changes})

    def resume(self) -> int:
        """Send again the steps whose answer was lost; returns how many are now settled."""
        done = 0
        for no in self.ins.admissions():
            pending = self.ins.record(no).get("pending")
            if not pending:
                continue
            args = dict(pending.get("args", {}))
            reason = str(args.pop("reason", "") or "续办")
            try:
                if pending["step"] == "cancel_fees":
                    self.cancel_fees(no, reason, sns=args.get("sns", []))
                elif pending["step"] == "change_info":
                    self.change_info(no, reason, **args.get("fields", {}))
                else:
                    getattr(self, str(pending["step"]))(no, reason)
                done += 1
            except (BillingError, LinkError):
                continue  # still not reachable, or refused (the refusal is on the record)
        return done

    # --- machinery ------------------------------------------------------------------------------

    def _open(self, admission_no: str, reason: str) -> dict[str, Any]:
        if not reason.strip():
            raise WardInputError("撤销原因：请填写原因")
        rec = self.ins.record(admission_no)
        if not rec:
            raise WardInputError(f"住院号：{admission_no}没有医保入院登记")
        if rec.get("state") in ("closed", "done"):
            what = "已撤销入院登记" if rec["state"] == "closed" else "已办理出院结算（请到住院处）"
            raise WardInputError(f"住院号：{admission_no}{what}，不能再办理")
        return rec

    @staticmethod
    def _pending_is(rec: dict[str, Any], step: str) -> bool:
        return bool(rec.get("pending")) and rec["pending"].get("step") == step

    def _step(self, admission_no: str, step: str, args: dict[str, Any], call: Callable[[], dict[str, Any]],
              apply: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Record ``pending``, send, then store the result (or keep pending when the answer is lost)."""
        name = STEP_NAMES[step]
        rec = self.ins.record(admission_no)
        pending = rec.get("pending")
        if pending and pending.get("step") != step:
            raise WardWayBackPendingError(f"{STEP_NAMES.get(pending['step'], pending['step'])}的结果待确认，"
                                          "请先重试该步骤")
        resent = bool(pending)
        if pending and _without_reason(pending.get("args", {})) != _without_reason(args):
            # a resend must be the same request, else a refusal could be mistaken for "it landed"
            raise WardWayBackPendingError(f"{name}（{_without_reason(pending.get('args', {}))}）的结果待确认，"
                                          "请先重试该次撤销")
        now = self.ins.desk.clock.now().isoformat(timespec="seconds")
        self.ins.save(admission_no, rec | {"pending": {"step": step, "args": args, "at": pending["at"] if pending
                                                        else now}})
        try:
            ans = call()
        except (BillingError, LinkError) as exc:
            code = getattr(exc, "code", "")
            if resent and code in LANDED_CODES:
                ans = {"landed": True, "message": getattr(exc, "message", str(exc))}
            elif platform_down(exc):
                raise WardWayBackPendingError(f"{name}：结果未知（{getattr(exc, 'message', exc)}），"
                                              "请稍后重试，不会重复办理") from None
            else:
                self._finish(admission_no, step, args, now, {"refused": True, "code": code,
                                                             "message": getattr(exc, "message", str(exc))}, None)
                if code == ORDER_CODE:
                    raise WardWayBackOrderError(f"{name}：{getattr(exc, 'message', exc)}") from None
                raise WardInsuranceError(f"{name}：{getattr(exc, 'message', exc)}") from None
        return self._finish(admission_no, step, args, now, ans, apply)

    def _finish(self, admission_no: str, step: str, args: dict[str, Any], at: str, ans: dict[str, Any],
                apply: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None) -> dict[str, Any]:
        rec = {k: v for k, v in self.ins.record(admission_no).items() if k != "pending"}
        if apply is not None:
            rec = apply(rec, ans)
        entry = {"step": step, "name": STEP_NAMES[step], "at": at, "reason": args.get("reason", ""),
                 "ok": apply is not None, "message": ans.get("message", ""),
                 "serverState": ans.get("stateName", ""), "detail": {k: v for k, v in args.items() if k != "reason"}
                 | ({"cancelledFees": ans["cancelledFees"]} if "cancelledFees" in ans else {})
                 | ({"changed": ans["changed"]} if "changed" in ans else {})}
        rec["log"] = [*rec.get("log", []), entry]
        return self.ins.save(admission_no, rec)


def _without_reason(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k != "reason"}


def _discharged(rec: dict[str, Any]) -> bool:
    """True while the stay's discharge registration (2402) stands."""
    if "discharged" in rec:
        return bool(rec["discharged"])
    return rec.get("state") in ("discharged", "settled", "done")


def _state(rec: dict[str, Any]) -> str:
    return str(rec.get("state") or "未登记")


#: The station's record states, as the nurse reads them.
STATE_NAMES = {"registered": "在院（已医保入院登记）", "discharged": "已医保出院登记", "settled": "已医保结算（HIS未出院）",
               "done": "已出院结算", "cancelled": "医保结算已撤销（回退中）", "closed": "医保入院登记已撤销"}


def describe(rec: dict[str, Any], batches: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    """What the ward page shows of a stay's insurance record (Qt-free): ``head`` (state, ids),
    ``days`` rows (date, lines, live, state) and ``log`` rows (time, step, reason, result)."""
    if not rec:
        return {"head": "未办理医保入院登记", "days": [], "log": []}
    state = STATE_NAMES.get(str(rec.get("state")), str(rec.get("state")))
    flags = "；出院登记有效" if _discharged(rec) and rec.get("state") not in ("done", "closed") else ""
    pending = rec.get("pending")
    wait = f"；待确认：{STEP_NAMES.get(pending['step'], pending['step'])}（请重试）" if pending else ""
    head = f"{state}{flags}{wait} ｜ 医保结算号 {rec.get('settlementId', '')} ｜ 就诊ID {rec.get('mdtrtId', '')}"
    uploaded = set(rec.get("days", []))
    again = "已撤销，待重新上传" if rec.get("state") == "registered" else "已撤销"
    days = [[day, str(len(b["sns"])), str(len(b["live"])),
             "已上传" if day in uploaded and len(b["live"]) == len(b["sns"]) else
             ("部分撤销" if day in uploaded else again)] for day, b in sorted(batches.items())]
    log = [[str(e.get("at", "")).replace("T", " ")[:19], str(e.get("name", "")), str(e.get("reason", "")),
            "成功" if e.get("ok") else f"被拒绝：{e.get('message', '')}"] for e in reversed(rec.get("log", []))]
    return {"head": head, "days": days, "log": log}
