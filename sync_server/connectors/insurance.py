"""The sync server's client of the national insurance platform (issue 16 §3): one typed call per
transaction over :class:`~sync_server.connectors.insurance_transport.InsuranceTransport`.

* **sign-in per operator** (9001, pitfall 4): ``sign_no`` is cached per ``opter`` and renewed
  after ``sign_hours`` or at a new day; :meth:`InsuranceClient.forget_sign_in` drops it (sign-out
  or a refusal naming it).
* **business calls** carry the operator's ``sign_no`` and, when they name a person, the person's
  insured place (``insuplc_admdvs`` from 1101).
* **settlements** (2207/2304) are sent exactly once with the msgid the caller recorded before;
  an in-doubt failure is raised, never re-sent: the caller checks with 5203 and reverses with
  2601 (sync_server/insurance/settle.py, resolve.py).
* the visit's transactions differ for outpatient and inpatient visits (:data:`VISITS`).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync_server.connectors.insurance_envelope import Operator
from sync_server.connectors.insurance_errors import InsuranceRejected
from sync_server.connectors.insurance_transport import InsuranceTransport
from sync_server.connectors.insurance_types import (
    FeeResult,
    FileInfo,
    Person,
    Settlement,
    SignIn,
    StmtResult,
    text,
)


@dataclass(frozen=True, slots=True)
class Visit:
    """The infnos of one visit kind: register, fee upload, pre-settle, settle, cancel, and the way
    back's fee cancel and registration cancel."""

    kind: str
    register: str
    fees: str
    pre_settle: str
    settle: str
    cancel: str
    fees_cancel: str
    register_cancel: str


OUTPATIENT = Visit("outpatient", "2201", "2204", "2206", "2207", "2208", "2205", "2202")
INPATIENT = Visit("inpatient", "2401", "2301", "2303", "2304", "2305", "2302", "2404")
VISITS: Mapping[str, Visit] = {v.kind: v for v in (OUTPATIENT, INPATIENT)}
#: 2402: discharge of an inpatient visit; 2403 / 2405: admission change, discharge cancel.
INPATIENT_DISCHARGE, ADMISSION_CHANGE, DISCHARGE_CANCEL = "2402", "2403", "2405"
#: 4101: the settlement list (医疗保障基金结算清单).
SETTLEMENT_LIST = "4101"
#: The settlements whose unknown outcome is resolved by 5203 / 2601, never by a re-send.
SETTLE_INFNOS = frozenset({OUTPATIENT.settle, INPATIENT.settle})


def sign_no_refused(exc: InsuranceRejected) -> bool:
    """True when a refusal is about the sign_no (签到), not the transaction."""
    return "sign_no" in exc.err_msg or "签到" in exc.err_msg


class InsuranceClient:
    """Typed insurance transactions; thread-safe, one per process (``ServerContext.insurance``).

    :param transport: the configured transport (endpoint, institution, crypto, journal, breaker).
    :param sign_hours: a cached ``sign_no`` is renewed after this many hours (and at a new day).
    """

    def __init__(self, transport: InsuranceTransport, *, sign_hours: float = 12.0,
                 now: Callable[[], datetime] = datetime.now) -> None:
        self.transport = transport
        self.sign_hours = sign_hours
        self._now = now
        self._signs: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the transport's connections."""
        self.transport.close()

    # ------------------------------------------------------------------ sign-in

    def sign_in(self, op: Operator, *, mac: str = "", ip: str = "127.0.0.1") -> SignIn:
        """9001 for ``op`` (always sent); the new ``sign_no`` is cached for the operator."""
        out = self.transport.call("9001", {"signIn": {"opter_no": op.opter, "mac": mac, "ip": ip}}, op)
        info = (out.get("signinoutb") or out.get("result") or {}) if isinstance(out, Mapping) else {}
        result = SignIn(text(info.get("sign_no")), text(info.get("sign_time")))
        if not result.sign_no:
            raise ValueError("9001 answered no sign_no")
        with self._lock:
            self._signs[op.opter] = (result.sign_no, self._now())
        return result

    def sign_no(self, op: Operator) -> str:
        """The operator's cached ``sign_no``, signing in first when there is none or it is stale."""
        now = self._now()
        with self._lock:
            cached = self._signs.get(op.opter)
        if cached is not None and cached[1].date() == now.date() and now - cached[1] < timedelta(hours=self.sign_hours):
            return cached[0]
        return self.sign_in(op).sign_no

    def forget_sign_in(self, op: Operator) -> None:
        """Drop the operator's cached ``sign_no`` (the next call signs in again)."""
        with self._lock:
            self._signs.pop(op.opter, None)

    def sign_out(self, op: Operator) -> None:
        """9002 for the operator's cached ``sign_no`` (nothing when none), then forget it."""
        with self._lock:
            cached = self._signs.pop(op.opter, None)
        if cached is not None:
            self.transport.call("9002", {"signOut": {"sign_no": cached[0], "opter_no": op.opter}}, op,
                                sign_no=cached[0])

    def _call(self, infno: str, input_: Mapping[str, Any], op: Operator, insuplc: str = "", *,
              msgid: str | None = None, timeout: float | None = None) -> Any:
        """One business call with the operator's sign_no. A refusal naming the sign_no (expired,
        signed out, another operator's) drops the cached one and signs in again; the call is then
        repeated once with a new msgid — a refused transaction was not applied — except a
        settlement, whose msgid the caller recorded (it answers the refusal; the operator retries)."""
        try:
            return self.transport.call(infno, input_, op, sign_no=self.sign_no(op), insuplc_admdvs=insuplc,
                                       msgid=msgid, timeout=timeout)
        except InsuranceRejected as exc:
            if not sign_no_refused(exc):
                raise
            self.forget_sign_in(op)
            if msgid is not None or infno in SETTLE_INFNOS:
                raise
        return self.transport.call(infno, input_, op, sign_no=self.sign_no(op), insuplc_admdvs=insuplc,
                                   timeout=timeout)

    def voucher_call(self, op: Operator, infno: str, data: Mapping[str, Any], insuplc: str = "") -> Any:
        """The voucher centre (4901 upload, 4902 result, 4905 re-upload, 5501 status; seed 002):
        input node ``data`` (fields: sync_server/insurance/voucher_fields.py), the raw output."""
        return self._call(infno, {"data": dict(data)}, op, insuplc)

    # ------------------------------------------------------------------ person, visit, fees

    def person_info(self, op: Operator, cert_type: str, cert_no: str, *, card_sn: str = "",
                    psn_cert_type: str = "", certno: str = "", psn_name: str = "") -> Person:
        """1101 by e-voucher (01), ID card (02) or social-security card (03; ``card_sn`` needed)."""
        data = {"mdtrt_cert_type": cert_type, "mdtrt_cert_no": cert_no, "card_sn": card_sn, "begntime": "",
                "psn_cert_type": psn_cert_type, "certno": certno, "psn_name": psn_name}
        return Person.parse(self._call("1101", {"data": data}, op))

    def register(self, op: Operator, visit: Visit, insuplc: str, data: Mapping[str, Any]) -> str:
        """2201 (``data`` node) / 2401 (``mdtrtinfo`` node): the platform's ``mdtrt_id``."""
        if visit is INPATIENT:
            out = self._call(visit.register, {"mdtrtinfo": dict(data), "diseinfo": []}, op, insuplc)
            found = (out.get("result") or out.get("data") or {}) if isinstance(out, Mapping) else {}
        else:
            out = self._call(visit.register, {"data": dict(data)}, op, insuplc)
            found = (out.get("data") or out.get("result") or {}) if isinstance(out, Mapping) else {}
        mdtrt_id = text(found.get("mdtrt_id") if isinstance(found, Mapping) else "")
        if not mdtrt_id:
            raise ValueError(f"{visit.register} answered no mdtrt_id")
        return mdtrt_id

    def upload_fees(self, op: Operator, visit: Visit, insuplc: str, details: Sequence[Mapping[str, Any]]
                    ) -> tuple[FeeResult, ...]:
        """2204 / 2301 ``feedetail`` rows: the platform's classification of each."""
        return FeeResult.parse_all(self._call(visit.fees, {"feedetail": [dict(d) for d in details]}, op, insuplc))

    def discharge(self, op: Operator, insuplc: str, data: Mapping[str, Any]) -> None:
        """2402: the inpatient visit discharged (``dscginfo`` node); the final settlement may follow."""
        self._call(INPATIENT_DISCHARGE, {"dscginfo": dict(data), "diseinfo": []}, op, insuplc)

    def pre_settle(self, op: Operator, visit: Visit, insuplc: str, data: Mapping[str, Any]) -> Settlement:
        """2206 / 2303: what the settlement would be (nothing is created on the platform)."""
        return Settlement.parse(self._call(visit.pre_settle, {"data": dict(data)}, op, insuplc))

    # ------------------------------------------------------------------ settlement

    def settle(self, op: Operator, visit: Visit, insuplc: str, data: Mapping[str, Any], msgid: str,
               timeout: float | None = None) -> Settlement:
        """2207 / 2304 sent **once** with the recorded ``msgid``.

        :raises InsuranceInDoubt: the outcome is unknown: check with :meth:`query_settlement`,
            reverse with :meth:`reverse` — never call this again with the same data.
        """
        return Settlement.parse(self._call(visit.settle, {"data": dict(data)}, op, insuplc, msgid=msgid,
                                           timeout=timeout))

    def cancel(self, op: Operator, visit: Visit, insuplc: str, *, setl_id: str, mdtrt_id: str, psn_no: str,
               msgid: str | None = None) -> Settlement:
        """2208 / 2305: the settlement cancelled; the answer carries negated amounts."""
        data = {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no}
        return Settlement.parse(self._call(visit.cancel, {"data": data}, op, insuplc, msgid=msgid))

    def reverse(self, op: Operator, insuplc: str, *, psn_no: str, omsgid: str, oinfno: str) -> None:
        """2601: the transaction ``omsgid`` (of ``oinfno``) reversed; returns when infcode is 0."""
        self._call("2601", {"data": {"psn_no": psn_no, "omsgid": omsgid, "oinfno": oinfno}}, op, insuplc)

    def query_settlement(self, op: Operator, insuplc: str, *, psn_no: str, mdtrt_id: str = "",
                         setl_id: str = "") -> tuple[Settlement, ...]:
        """5203: the platform's settlements of the visit (by ``mdtrt_id``) or the one ``setl_id``."""
        data = {"psn_no": psn_no, "setl_id": setl_id, "mdtrt_id": mdtrt_id}
        return Settlement.parse_many(self._call("5203", {"data": data}, op, insuplc))

    # ------------------------------------------------------------------ the way back, changes, lists

    def cancel_fees(self, op: Operator, visit: Visit, insuplc: str, *, mdtrt_id: str, psn_no: str,
                    selectors: Sequence[str]) -> None:
        """2205 (one ``chrg_bchno`` per call; "0000" = every unsettled line) / 2302 (``data`` rows
        of ``feedetl_sn``; "0000" = all)."""
        if visit is INPATIENT:
            rows_ = [{"feedetl_sn": s, "mdtrt_id": mdtrt_id, "psn_no": psn_no} for s in selectors]
            self._call(visit.fees_cancel, {"data": rows_}, op, insuplc)
            return
        for bchno in selectors:
            self._call(visit.fees_cancel, {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": bchno, "psn_no": psn_no}},
                       op, insuplc)

    def cancel_registration(self, op: Operator, visit: Visit, insuplc: str, *, mdtrt_id: str, psn_no: str,
                            ipt_otp_no: str) -> None:
        """2202 (outpatient registration) / 2404 (admission) cancelled."""
        data = {"psn_no": psn_no, "mdtrt_id": mdtrt_id}
        if visit is OUTPATIENT:
            data["ipt_otp_no"] = ipt_otp_no
        self._call(visit.register_cancel, {"data": data}, op, insuplc)

    def change_admission(self, op: Operator, insuplc: str, adminfo: Mapping[str, Any],
                         diseinfo: Sequence[Mapping[str, Any]] = ()) -> None:
        """2403: the admission's data changed (``adminfo`` node, ``diseinfo`` rows)."""
        self._call(ADMISSION_CHANGE, {"adminfo": dict(adminfo), "diseinfo": [dict(d) for d in diseinfo]}, op, insuplc)

    def cancel_discharge(self, op: Operator, insuplc: str, *, mdtrt_id: str, psn_no: str) -> None:
        """2405: the discharge cancelled (the patient is in hospital again)."""
        self._call(DISCHARGE_CANCEL, {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}}, op, insuplc)

    def upload_settlement_list(self, op: Operator, insuplc: str, input_: Mapping[str, Any]) -> str:
        """4101 (``setlinfo``, ``payinfo[]``, ``diseinfo[]``, ``iteminfo[]`` ...): the platform's
        ``setl_list_id``."""
        out = self._call(SETTLEMENT_LIST, dict(input_), op, insuplc)
        found = out.get("setl_list_id") if isinstance(out, Mapping) else None
        if found is None and isinstance(out, Mapping) and isinstance(out.get("data"), Mapping):
            found = out["data"].get("setl_list_id")
        return text(found)

    # ------------------------------------------------------------------ reconciliation

    def reconcile_total(self, op: Operator, data: Mapping[str, Any]) -> StmtResult:
        """3201 for one (insutype, clr_type, setl_optins) group."""
        return StmtResult.parse(self._call("3201", {"data": dict(data)}, op))

    def upload_file(self, op: Operator, filename: str, content: bytes) -> FileInfo:
        """9101: a file (Base64 in ``in``, as the C# and Java clients send it)."""
        data = {"in": base64.b64encode(content).decode("ascii"), "filename": filename,
                "fixmedins_code": self.transport.institution.fixmedins_code}
        return FileInfo.parse(self._call("9101", {"fsUploadIn": data}, op))

    def reconcile_detail(self, op: Operator, data: Mapping[str, Any]) -> FileInfo:
        """3202 over an uploaded file: where the result file is."""
        return FileInfo.parse(self._call("3202", {"data": dict(data)}, op), "fileinfo")

    def download_file(self, op: Operator, info: FileInfo, fixmedins_code: str = "") -> bytes:
        """9102: the file's bytes (a ZIP)."""
        data = {"file_qury_no": info.file_qury_no, "filename": info.filename,
                "fixmedins_code": fixmedins_code or self.transport.institution.fixmedins_code}
        return self.transport.post_raw("9102", {"fsDownloadIn": data}, op, sign_no=self.sign_no(op))
