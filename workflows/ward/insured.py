"""Inpatient insurance at the nurse station, over ins-flow's typed client of the server's
insurance API (:class:`workflows.insurance.client.InsuranceApi`; docs/INSURANCE.md §12.3):

    identify (1101) -> admit (2401) -> fee batches, one per day of the stay (2301)
    -> daily pre-settlement (2303, mid flag: fund / account / self-pay against the deposit)
    -> discharge registration (2402) -> 2303 -> settle (2304)
    -> HIS discharge with the insurance parts (the deposit pays the self-pay part, the rest by
       QR / payment code in the same step; invEBillHospitalized with the insurance fields)
    -> surplus deposit back to its original channels (WardDesk.discharge)

The way back, one step at a time (settlement 2305 -> discharge 2405 -> fees 2302 -> admission
2404) and the information update (2403) are :class:`workflows.ward.way_back.InsuredWayBack`
(``WardInsurance.back``); a settlement is cancelled only while the HIS has not taken the
discharge — when the HIS refuses the discharge after 2304, the settlement is cancelled at once.

The station's insurance record of a stay is kept in the terminal store (``kv`` key
``ward_ins:<admissionNo>``), written after every step, so a restarted station goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing_core.errors import BillingError
from workflows.errors import LinkError
from workflows.his import HisError, Inpatient
from workflows.insurance.client import InsuranceApi, platform_down
from workflows.insurance.models import FeeLine, InsuredPerson, Split, Visit
from workflows.kiosk.models import PayChoice
from workflows.ward import stats
from workflows.ward.desk import DischargeResult, WardDesk
from workflows.ward.errors import WardError, WardInputError, WardInsuranceError
from workflows.ward.way_back import InsuredWayBack


@dataclass(frozen=True, slots=True)
class InsuredView:
    """A pre-settlement against the deposit (what the nurse shows the family)."""

    admission_no: str
    split: Split
    deposit: Decimal
    due: Decimal          # to pay on top of the deposit
    refund_due: Decimal   # deposit left after the self-pay part


class WardInsurance:
    """Inpatient insurance of one station.

    :param codes: the hospital's item code -> national list code (医保目录对照); a fee line
        without one is refused before anything is uploaded.
    :param admdvs: the hospital's region (6 digits): an insured place elsewhere is 异地.
    """

    def __init__(self, api: InsuranceApi, desk: WardDesk, codes: dict[str, str], admdvs: str = "") -> None:
        self.api, self.desk, self.codes, self.admdvs = api, desk, dict(codes), admdvs
        self.back = InsuredWayBack(self)

    # --- record -------------------------------------------------------------------------------

    def record(self, admission_no: str) -> dict[str, Any]:
        """The station's insurance record of the stay ({} when none)."""
        return dict(self.desk.db.get_value(f"ward_ins:{admission_no}") or {})

    def admissions(self) -> list[str]:
        """The admission numbers this station holds an insurance record of."""
        return [str(r["key"]).split(":", 1)[1] for r in self.desk.db.all("SELECT key FROM kv WHERE key LIKE 'ward_ins:%'")]

    def batches(self, admission_no: str) -> dict[str, dict[str, list[str]]]:
        """Each uploaded day's fee lines: ``{day: {"sns": [...], "live": [...]}}`` (live = not reversed)."""
        rec = self.record(admission_no)
        gone = set(rec.get("cancelledSns", []))
        out: dict[str, dict[str, list[str]]] = {}
        for day, sns in dict(rec.get("batches", {})).items():
            out[day] = {"sns": list(sns), "live": [x for x in sns if x not in gone]}
        return out

    def save(self, admission_no: str, rec: dict[str, Any]) -> dict[str, Any]:
        """Write the stay's record (one transaction); returns it."""
        with self.desk.db.atomic():
            self.desk.db.set_value(f"ward_ins:{admission_no}", rec)
        return rec

    def _call(self, what: str, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except (BillingError, LinkError) as exc:
            if platform_down(exc):
                raise WardInsuranceError(f"{what}：医保平台暂不可用（{exc}），可按自费办理") from None
            raise WardInsuranceError(f"{what}：{getattr(exc, 'message', exc)}") from None

    # --- steps --------------------------------------------------------------------------------

    def identify(self, cert_type: str, cert_no: str, card_sn: str = "") -> InsuredPerson:
        """1101 by e-voucher (01), ID card (02) or social-security card (03)."""
        if not cert_no.strip():
            raise WardInputError("证件号码：请读卡或输入证件号码")
        person = self._call("读取参保信息", self.api.person, cert_type, cert_no.strip(), card_sn)
        if not person.insured:
            raise WardInsuranceError(f"{person.name}无有效参保信息，请按自费办理")
        assert isinstance(person, InsuredPerson)
        return person

    def admit(self, stay: Inpatient, person: InsuredPerson, *, dept_code: str, disease_code: str,
              disease_name: str, doctor: str, doctor_no: str) -> dict[str, Any]:
        """入院登记 (2401) of the stay. :raises WardInputError: already registered."""
        if self.record(stay.admission_no).get("state") in ("registered", "discharged", "settled"):
            raise WardInputError(f"住院号：{stay.admission_no}已办理医保入院登记")
        visit = Visit("inpatient", stay.admission_no, dept_code or stay.dept_code, stay.dept_name, doctor, doctor_no, "21",
                      disease_code, disease_name)
        rec = self._call("医保入院登记", self.api.register, person, visit)
        return self.save(stay.admission_no, {"state": "registered", "settlementId": rec.settlement_id,
                                              "mdtrtId": rec.mdtrt_id, "person": person.wire(), "days": [],
                                              "patientId": stay.patient_id})

    def cancel_admission(self, admission_no: str, reason: str = "撤销入院登记") -> dict[str, Any]:
        """撤销医保入院登记 (2404; the way back's last step: :meth:`InsuredWayBack.cancel_admission`)."""
        return self.back.cancel_admission(admission_no, reason)

    def upload_fees(self, admission_no: str) -> int:
        """Upload the days not uploaded yet, one batch per day (2301); returns the batches sent.
        :raises WardInputError: an item without a national code (医保目录对照)."""
        rec = self._need(admission_no, "registered")
        stay = self.desk.stay(rec["patientId"])
        last = stay.admitted_on
        days = []
        today = self.desk.clock.now().date()
        while last <= today:
            days.append(last)
            last = last.fromordinal(last.toordinal() + 1)
        sent = 0
        for day in days:
            if day.isoformat() in rec["days"] or day == today:
                continue  # today's list is not closed yet: it goes with the discharge
            sent += self._upload_day(admission_no, rec, day)
        return sent

    def _upload_day(self, admission_no: str, rec: dict[str, Any], day: Any) -> int:
        dl = self.desk.daily_list(admission_no, day)
        missing = sorted({x.name for x in dl.lines if x.code not in self.codes})
        if missing:
            raise WardInputError(f"医保目录对照：{'、'.join(missing)}没有对照的医保目录编码")
        fees = [FeeLine(f"{day:%Y%m%d}{n:03d}", self.codes[x.code], x.code, x.name, x.price, Decimal(x.qty), x.amount)
                for n, x in enumerate(dl.lines, 1)]
        if fees:
            self._call("上传住院费用", self.api.upload_fees, rec["settlementId"], f"{admission_no}D{day:%Y%m%d}", fees)
        rec["days"].append(day.isoformat())
        # the day's line numbers (a reversal names them); a day uploaded again starts afresh
        rec["batches"] = dict(rec.get("batches", {})) | {day.isoformat(): [f.sn for f in fees]}
        rec["cancelledSns"] = [x for x in rec.get("cancelledSns", []) if not x.startswith(f"{day:%Y%m%d}")]
        self.save(admission_no, rec)
        return 1 if fees else 0

    def pre_settle(self, admission_no: str, *, mid: bool = True) -> InsuredView:
        """每日预结算: fund / account / self-pay of the fees so far, against the deposit."""
        rec = self._need(admission_no, "registered", "discharged")
        _, split = self._call("医保预结算", self.api.pre_settle, rec["settlementId"], mid_settle=mid)
        return self._view(admission_no, split)

    def _view(self, admission_no: str, split: Split) -> InsuredView:
        stay = self.desk.stay(self.record(admission_no)["patientId"])
        cash = split.cash
        deposit = stay.deposit
        return InsuredView(admission_no, split, deposit, max(Decimal("0.00"), cash - deposit),
                           max(Decimal("0.00"), deposit - cash))

    def register_discharge(self, admission_no: str, *, way: str = "1") -> dict[str, Any]:
        """出院登记 (2402), after the last fees are uploaded (today's included)."""
        rec = self._need(admission_no, "registered")
        self.upload_fees(admission_no)
        today = self.desk.clock.now().date()
        if today.isoformat() not in rec["days"]:
            self._upload_day(admission_no, self.record(admission_no), today)
        rec = self.record(admission_no)
        self._call("医保出院登记", self.api.discharge, rec["settlementId"], dscgWay=way)
        return self.save(admission_no, rec | {"state": "discharged", "discharged": True})

    def settle(self, admission_no: str) -> dict[str, Any]:
        """医保出院结算 on the platform only (2402 when not yet, 2303 + 2304): the record with the
        figures; the HIS discharge follows with :meth:`discharge` (until then 2305 may cancel it)."""
        rec = self.record(admission_no)
        if rec.get("state") == "registered":
            rec = self.register_discharge(admission_no)
        rec = self._need(admission_no, "discharged", "settled")
        if rec["state"] == "discharged":
            rec = self._settle(admission_no, rec, self.pre_settle(admission_no, mid=False))
        return rec

    def _settle(self, admission_no: str, rec: dict[str, Any], view: InsuredView) -> dict[str, Any]:
        done = self._call("医保结算", self.api.settle, rec["settlementId"])
        split = done.split or view.split
        return self.save(admission_no, rec | {"state": "settled", "setlId": done.setl_id,
                                               "fund": str(split.fund), "account": str(split.account),
                                               "cash": str(split.cash), "medfee": str(split.medfee)})

    def discharge(self, admission_no: str, pay: PayChoice | None = None) -> DischargeResult:
        """医保出院结算 in one step: 2303 + 2304, then the HIS discharge with the insurance parts
        (self-pay part from the deposit, ``pay`` for what is due on top), the e-bill with the
        insurance fields, the surplus deposit back. A HIS refusal cancels the settlement (2305)."""
        rec = self.record(admission_no)
        if rec.get("state") == "registered":
            rec = self.register_discharge(admission_no)
        rec = self._need(admission_no, "discharged", "settled")
        if rec["state"] == "discharged":
            view = self.pre_settle(admission_no, mid=False)
            if view.due > 0 and pay is None:
                raise WardInputError(f"支付方式：医保结算后需补缴{view.due}元，请选择扫码或付款码")
            rec = self._settle(admission_no, rec, view)
        person = rec["person"]
        insurance = {"setlId": rec["setlId"], "psnNo": person["psnNo"], "insuplcAdmdvs": person["insuplcAdmdvs"],
                     "fundPay": rec["fund"], "accountPay": rec["account"]}
        place = stats.OTHER if self.admdvs and person["insuplcAdmdvs"][:4] != self.admdvs[:4] else stats.LOCAL
        out = self.desk.discharge(rec["patientId"], pay, insurance=insurance, place=place)
        if out.flow.ok or out.flow.state in ("paid", "settled", "billed", "printed"):
            rec = self.save(admission_no, rec | {"state": "done", "orderNo": out.flow.order_no})
            self.upload_voucher(admission_no)
        elif out.flow.state in ("failed", "refunded") and not self.his_discharged(rec["patientId"]):
            self.cancel_settlement(admission_no, "HIS出院结算未完成")
        return out

    def resume(self) -> int:
        """Queue the vouchers that could not be queued at discharge and send again the way-back
        steps whose answer was lost; returns how many now went through."""
        done = self.back.resume()
        for no in self.admissions():
            rec = self.record(no)
            if rec.get("state") == "done" and rec.get("voucher") not in ("queued", "uploaded") \
                    and self.upload_voucher(no):
                done += 1
        return done

    def upload_voucher(self, admission_no: str) -> str:
        """Queue the electronic settlement voucher (4901 with the e-bill) on the server's outbox once
        the discharge e-bill exists; returns its state ('' while the bill is still pending)."""
        rec = self._need(admission_no, "done")
        if rec.get("voucher") in ("queued", "uploaded"):
            return str(rec["voucher"])
        bills = [b for b in self.desk.checkout.bills_of(rec["orderNo"]) if not b.get("pending")]
        if not bills:
            return ""  # the e-bill follows on the resume round; so does the voucher
        try:
            st = self.api.voucher_upload(rec["settlementId"], bills[0]["billBatchCode"], bills[0]["billNo"])
        except (BillingError, LinkError) as exc:
            self.save(admission_no, rec | {"voucherError": str(exc)})
            return ""
        self.save(admission_no, rec | {"voucher": st.state})
        return st.state

    def cancel_settlement(self, admission_no: str, reason: str) -> dict[str, Any]:
        """撤销医保结算 (2305) while the HIS has not taken the discharge (:class:`InsuredWayBack`)."""
        return self.back.cancel_settlement(admission_no, reason)

    def his_discharged(self, patient_id: str) -> bool:
        """True when the HIS has taken the discharge (or cannot tell: never cancel blindly)."""
        try:
            return self.desk.stay(patient_id).status != "in"
        except (WardError, HisError):
            return True  # cannot tell: never cancel blindly

    def _need(self, admission_no: str, *states: str) -> dict[str, Any]:
        rec = self.record(admission_no)
        if rec.get("state") not in states:
            raise WardInputError(f"住院号：{admission_no}的医保登记状态为{rec.get('state') or '未登记'}，不能办理此步骤")
        return rec
