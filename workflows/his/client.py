"""HisClient: one typed method per operation of the HIS interface (docs/HIS_ADAPTER.md).

Every call is signed (HMAC-SHA256 over timestamp, nonce and body) and every answer's signature is
checked. A refusal raises :class:`HisError` (stable ``code``, Chinese ``message``); no usable
answer raises :class:`HisUnavailable` — after which a money-moving call is resolved with
:meth:`HisClient.query_request` (or resent with the same ``request_id``, which is safe).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import date
from decimal import Decimal

import requests

from workflows.his.errors import HisBadAnswer, HisError, HisUnavailable
from workflows.his.models import (
    Appointment,
    Booking,
    Cancellation,
    CardRegistration,
    DailyList,
    Department,
    DischargeBill,
    Doctor,
    Inpatient,
    Json,
    Patient,
    Payment,
    PendingCharge,
    RequestOutcome,
    Settlement,
    Slot,
    money,
)

log = logging.getLogger(__name__)

#: Codes the HIS answers before it knows the caller's key: such answers carry no signature.
UNSIGNED_CODES = frozenset({"E3502", "E3503", "E3504", "E3505", "E3506"})
FIND_BY = ("ssCard", "idNo", "eVoucher", "hospitalCard")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


class HisClient:
    """The HIS at ``base_url`` (``http://host:port``) as caller ``appid`` with ``key``."""

    def __init__(self, base_url: str, appid: str, key: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self._key = key
        self.timeout = timeout
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"HisClient({self.base_url!r}, appid={self.appid!r})"

    def close(self) -> None:
        """Close the kept-alive connections."""
        self._session.close()

    def __enter__(self) -> HisClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------------------

    def _sign(self, ts: str, nonce: str, body: bytes) -> str:
        return hmac.new(self._key.encode("utf-8"), f"{ts}\n{nonce}\n".encode() + body, hashlib.sha256).hexdigest()

    def call(self, operation: str, data: Json) -> Json:
        """The ``data`` of a successful call of ``operation``; raises HisError / HisUnavailable."""
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        ts, nonce = str(int(time.time() * 1000)), secrets.token_hex(16)
        headers = {"Content-Type": "application/json", "X-His-Appid": self.appid, "X-His-Timestamp": ts,
                   "X-His-Nonce": nonce, "X-His-Signature": self._sign(ts, nonce, body)}
        try:
            resp = self._session.post(f"{self.base_url}/his/api/{operation}", data=body, headers=headers,
                                      timeout=(min(self.timeout, 3.0), self.timeout))
        except requests.ConnectTimeout:
            log.warning("HIS %s: connect timeout", operation)
            raise HisUnavailable("无法连接HIS系统，请稍后重试", sent=False) from None
        except requests.Timeout:
            log.warning("HIS %s: no answer in %.1f s", operation, self.timeout)
            raise HisUnavailable("HIS系统应答超时，请按请求流水号查询结果", sent=True) from None
        except requests.ConnectionError as exc:
            # refused / unresolvable: never reached the HIS; reset or closed mid-call: it may have
            sent = "NewConnectionError" not in repr(exc) and "refused" not in str(exc).lower()
            log.warning("HIS %s: connection failed (sent=%s)", operation, sent)
            raise HisUnavailable(sent=sent) from None
        if resp.status_code == 503:
            raise HisUnavailable("HIS系统暂不可用，请稍后重试", sent=False)
        try:
            answer = json.loads(resp.content, parse_float=Decimal)
            code, msg = str(answer["code"]), str(answer["msg"])
        except (ValueError, KeyError, TypeError):
            raise HisBadAnswer(f"HIS应答无法识别（HTTP {resp.status_code}）") from None
        if code not in UNSIGNED_CODES or resp.headers.get("X-His-Signature"):
            expected = self._sign(ts, nonce, resp.content)
            if not hmac.compare_digest(expected, resp.headers.get("X-His-Signature", "")):
                raise HisBadAnswer()
        if code != "0":
            log.info("HIS %s refused: %s", operation, code)
            raise HisError(msg, code=code)
        return dict(answer.get("data") or {})

    # --- patients and prepayment ----------------------------------------------------------------

    def find_patient(self, by: str, value: str) -> Patient:
        """Find by ``ssCard`` (social-security card no), ``idNo``, ``eVoucher`` (insurance e-voucher
        token) or ``hospitalCard``."""
        if by not in FIND_BY:
            raise ValueError(f"by must be one of {FIND_BY}")
        return Patient.of(self.call("patient.find", {"by": by, "value": value})["patient"])

    def register_card(self, request_id: str, *, name: str, sex: str, birth_date: date, id_no: str, phone: str,
                      first_top_up: Decimal = Decimal("0"), card_fee: Decimal | None = None,
                      payment: Payment | None = None, address: str = "", issuer: str = "terminal") -> CardRegistration:
        """办就诊卡 -> the patient with a new hospital card; ``payment`` (external) pays top-up + fee."""
        data: Json = {"requestId": request_id, "name": name, "sex": sex, "birthDate": birth_date.isoformat(),
                      "idNo": id_no, "phone": phone, "address": address, "firstTopUp": _amount(first_top_up),
                      "issuer": issuer}
        if card_fee is not None:
            data["cardFee"] = _amount(card_fee)
        if payment is not None:
            data |= payment.wire()
        d = self.call("patient.register", data)
        return CardRegistration(Patient.of(d["patient"]), d["hospitalCard"],
                                Settlement.of(d["cardFee"]) if d.get("cardFee") else None,
                                Settlement.of(d["topUp"]) if d.get("topUp") else None)

    def prepay_balance(self, patient_id: str) -> Decimal:
        """The prepayment account balance."""
        return money(self.call("prepay.balance", {"patientId": patient_id})["balance"])

    def top_up_prepay(self, request_id: str, patient_id: str, amount: Decimal, payment: Payment,
                      issuer: str = "terminal") -> Settlement:
        """预交金充值 paid externally."""
        return Settlement.of(self.call("prepay.topUp", {"requestId": request_id, "patientId": patient_id,
                                                        "amount": _amount(amount), "issuer": issuer}
                                       | payment.wire())["settlement"])

    # --- clinic ---------------------------------------------------------------------------------

    def departments(self) -> list[Department]:
        """Every department."""
        return [Department.of(d) for d in self.call("dept.list", {})["departments"]]

    def doctors(self, dept_code: str | None = None) -> list[Doctor]:
        """Doctors (of one department)."""
        return [Doctor.of(d) for d in self.call("doctor.list", {"deptCode": dept_code or ""})["doctors"]]

    def slots(self, dept_code: str, day: date, slot_type: str | None = None) -> list[Slot]:
        """Slots of a department on a day (type 普通/专家/急诊), with remaining counts."""
        return [Slot.of(s) for s in self.call("slot.list", {"deptCode": dept_code, "date": day.isoformat(),
                                                            "type": slot_type or ""})["slots"]]

    def _slot_call(self, operation: str, request_id: str, patient_id: str, slot_id: int, payment: Payment,
                   issuer: str) -> Booking:
        d = self.call(operation, {"requestId": request_id, "patientId": patient_id, "slotId": slot_id,
                                  "issuer": issuer} | payment.wire())
        return Booking(Appointment.of(d["appointment"]), Settlement.of(d["settlement"]))

    def register_now(self, request_id: str, patient_id: str, slot_id: int, payment: Payment,
                     issuer: str = "terminal") -> Booking:
        """挂号 today: pays the fee and checks in (queue number)."""
        return self._slot_call("registration.create", request_id, patient_id, slot_id, payment, issuer)

    def book_appointment(self, request_id: str, patient_id: str, slot_id: int, payment: Payment,
                         issuer: str = "terminal") -> Booking:
        """预约挂号 (today or up to 7 days ahead): pays the fee, check in on the day."""
        return self._slot_call("appointment.book", request_id, patient_id, slot_id, payment, issuer)

    def appointments(self, patient_id: str, status: str | None = None) -> list[Appointment]:
        """The patient's appointments, newest first."""
        return [Appointment.of(a) for a in self.call("appointment.list", {"patientId": patient_id,
                                                                          "status": status or ""})["appointments"]]

    def check_in(self, appointment_no: str) -> Appointment:
        """签到 on the visit day; the answer carries the queue number."""
        return Appointment.of(self.call("appointment.checkIn", {"appointmentNo": appointment_no})["appointment"])

    def cancel_appointment(self, request_id: str, appointment_no: str, reason: str = "") -> Cancellation:
        """Cancel a booked appointment: the slot comes back, the fee is refunded."""
        d = self.call("appointment.cancel", {"requestId": request_id, "appointmentNo": appointment_no,
                                             "reason": reason})
        return Cancellation(Appointment.of(d["appointment"]), Settlement.of(d["refund"]))

    # --- outpatient charges ---------------------------------------------------------------------

    def pending_charges(self, patient_id: str) -> list[PendingCharge]:
        """Prescriptions and exam orders waiting to be paid."""
        return [PendingCharge.of(c) for c in self.call("charge.pending", {"patientId": patient_id})["charges"]]

    def settle_outpatient(self, request_id: str, patient_id: str, charge_ids: list[str], payment: Payment | None,
                          issuer: str = "terminal", insurance: Json | None = None) -> Settlement:
        """门诊结算 of the chosen pending charges. ``insurance`` (HIS_ADAPTER §3.3): the insurance
        settlement's parts; ``payment`` then covers the rest (None when the insurance paid it all)."""
        body: Json = {"requestId": request_id, "patientId": patient_id, "chargeIds": list(charge_ids),
                      "issuer": issuer}
        body |= payment.wire() if payment is not None else {}
        body |= {"insurance": insurance} if insurance else {}
        return Settlement.of(self.call("outpatient.settle", body)["settlement"])

    # --- inpatients -----------------------------------------------------------------------------

    def inpatient(self, patient_id: str) -> Inpatient:
        """The patient's current (else latest) stay."""
        return Inpatient.of(self.call("inpatient.get", {"patientId": patient_id})["inpatient"])

    def inpatients(self, ward: str | None = None, status: str = "in") -> list[Inpatient]:
        """Stays of one ward (or all), by ward and bed; ``status`` ``in`` / ``discharged`` / ``all``."""
        return [Inpatient.of(d) for d in self.call("inpatient.list", {"ward": ward or "",
                                                                      "status": status})["inpatients"]]

    def top_up_deposit(self, request_id: str, admission_no: str, amount: Decimal, payment: Payment,
                       issuer: str = "terminal") -> Settlement:
        """住院押金 paid externally."""
        return Settlement.of(self.call("inpatient.deposit", {"requestId": request_id, "admissionNo": admission_no,
                                                             "amount": _amount(amount), "issuer": issuer}
                                       | payment.wire())["settlement"])

    def daily_list(self, admission_no: str, day: date) -> DailyList:
        """日清单 of one day."""
        return DailyList.of(self.call("inpatient.dailyList", {"admissionNo": admission_no, "date": day.isoformat()}))

    def discharge_bill(self, admission_no: str, insurance: Json | None = None) -> DischargeBill:
        """The discharge bill: total, deposit, due, surplus to refund; with ``insurance`` (the
        insurance settlement's parts, HIS_ADAPTER §3.4) what is left for the deposit and on top."""
        data: Json = {"admissionNo": admission_no} | ({"insurance": insurance} if insurance else {})
        return DischargeBill.of(self.call("inpatient.dischargeBill", data))

    def settle_discharge(self, request_id: str, admission_no: str, payment: Payment | None = None,
                         issuer: str = "terminal") -> Settlement:
        """出院结算: the deposit first; ``payment`` (external) for what is due on top."""
        data: Json = {"requestId": request_id, "admissionNo": admission_no, "issuer": issuer}
        if payment is not None:
            data |= {k: v for k, v in payment.wire().items() if k != "payMethod"}
        return Settlement.of(self.call("inpatient.settleDischarge", data)["settlement"])

    # --- settlements ----------------------------------------------------------------------------

    def settlements(self, patient_id: str, kind: str | None = None) -> list[Settlement]:
        """Settlement history, newest first."""
        return [Settlement.of(s) for s in self.call("settlement.list", {"patientId": patient_id,
                                                                        "kind": kind or ""})["settlements"]]

    def settlement(self, settlement_no: str) -> Settlement:
        """One settlement."""
        return Settlement.of(self.call("settlement.get", {"settlementNo": settlement_no})["settlement"])

    def reverse_settlement(self, request_id: str, settlement_no: str, reason: str) -> Settlement:
        """退费: the reversal settlement (negative amounts; ``refund_due`` goes back by the original channel)."""
        return Settlement.of(self.call("settlement.reverse", {"requestId": request_id, "settlementNo": settlement_no,
                                                              "reason": reason})["reversal"])

    def query_request(self, request_id: str) -> RequestOutcome | None:
        """What the first call with ``request_id`` answered; None when the HIS never processed it
        (then resend it with the same request_id)."""
        try:
            d = self.call("request.query", {"requestId": request_id})
        except HisError as exc:
            if exc.code == "E3571":
                return None
            raise
        return RequestOutcome(d["requestId"], d["operation"], d["code"], d["msg"], d["createdAt"], d.get("data"))

    def issue_ebill(self, settlement_no: str) -> Settlement:
        """Ask the HIS to issue (again) the e-bill of a settlement whose issuer is ``his``."""
        return Settlement.of(self.call("ebill.issue", {"settlementNo": settlement_no})["settlement"])

    def report_ebill(self, settlement_no: str, bill_batch_code: str, bill_no: str, random: str,
                     emergency: bool = False) -> Settlement:
        """Tell the HIS which e-bill this terminal issued for a settlement (issuer ``terminal``);
        ``emergency`` for a bill from emergency stock. Repeating the same numbers is harmless."""
        return Settlement.of(self.call("ebill.report", {"settlementNo": settlement_no, "billBatchCode": bill_batch_code,
                                                        "billNo": bill_no, "random": random,
                                                        "emergency": emergency})["settlement"])
