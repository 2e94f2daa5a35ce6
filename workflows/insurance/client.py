"""A typed client over the sync server's insurance API (``/insurance/api/<method>``,
docs/INSURANCE.md §12.3) through the terminal's one SyncClient, so the breaker and the session
token are the same as for issuing.

Every method returns typed values or raises what the server answered:
:class:`billing_core.errors.PlatformError` with the server's code (E56xx), or a
:class:`workflows.errors.LinkError` when the server could not be reached. :func:`platform_down`
tells "the insurance side is not available" (offer self-pay) from a business refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from billing_core import methods
from billing_core.errors import BillingError, PlatformError
from workflows.errors import LinkError
from workflows.insurance.models import (
    FeeLine,
    InsuredPerson,
    SettlementRecord,
    Split,
    Visit,
    VoucherStatus,
)
from workflows.sync_client import SyncClient

#: Server codes meaning "the insurance platform is not there" (docs/ERRORS.md): not sent (E5601),
#: answer lost / unusable (E5602, E5603; nothing was settled: settle turns these into E5613),
#: insurance not configured (E5605).
DOWN_CODES = frozenset({"E5601", "E5602", "E5603", "E5605"})
#: The settlement's outcome is unknown: query later, never settle again.
IN_DOUBT = "E5613"
#: The settlement's state forbids the step (e.g. the server reversed a lost one: settle again).
STATE_REFUSED = "E5612"

# Voucher centre methods of the insurance API (docs/INSURANCE.md §13.4; seed 002).
INS_VOUCHER_UPLOAD = "insVoucherUpload"
INS_VOUCHER_STATUS = "insVoucherStatus"
INS_VOUCHER_REUPLOAD = "insVoucherReupload"


def platform_down(exc: BaseException) -> bool:
    """True when ``exc`` says the insurance platform or the server cannot be reached (not a
    business refusal): the flow offers self-pay."""
    if isinstance(exc, LinkError):
        return True
    return isinstance(exc, BillingError) and exc.code in DOWN_CODES


class InsuranceApi:
    """The insurance API of the sync server, one typed method per API method."""

    def __init__(self, sync: SyncClient) -> None:
        self.sync = sync

    def call(self, method: str, data: Mapping[str, Any]) -> Any:
        """One insurance-API method: the success payload.

        :raises PlatformError: the server's failure code and Chinese text.
        :raises LinkError: the server could not be reached (or the answer was lost).
        """
        return self.sync.insurance(method, data).payload()

    def _record(self, method: str, data: Mapping[str, Any]) -> SettlementRecord:
        ans = self.call(method, data)
        if not isinstance(ans, Mapping) or "settlementId" not in ans:
            raise PlatformError("E3950", f"{method}应答缺少settlementId")
        return SettlementRecord.from_wire(ans)

    def sign_in(self) -> str:
        """9001 for the session's operator; returns the sign-in time."""
        return str(self.call(methods.INS_SIGN_IN, {}).get("signTime", ""))

    def person(self, cert_type: str, cert_no: str, card_sn: str = "") -> InsuredPerson:
        """1101 by e-voucher (01), ID card (02) or social-security card (03, with its ``card_sn``)."""
        data = {"mdtrtCertType": cert_type, "mdtrtCertNo": cert_no} | ({"cardSn": card_sn} if card_sn else {})
        return InsuredPerson.from_wire(self.call(methods.INS_PERSON_INFO, data), cert_type, cert_no)

    def register(self, person: InsuredPerson, visit: Visit) -> SettlementRecord:
        """2201 / 2401: the visit on the platform; the server's settlement record starts."""
        data = visit.wire() | {"psnNo": person.psn_no, "insutype": person.insutype,
                               "insuplcAdmdvs": person.insuplc_admdvs, "mdtrtCertType": person.cert_type,
                               "mdtrtCertNo": person.cert_no}
        return self._record(methods.INS_REGISTER, data)

    def upload_fees(self, settlement_id: int, chrg_bchno: str, fees: Iterable[FeeLine]) -> SettlementRecord:
        """2204 / 2301: the visit's fee details."""
        rows = [{k: v for k, v in f.wire().items() if k != "name"} for f in fees]
        return self._record(methods.INS_UPLOAD_FEES, {"settlementId": settlement_id, "chrgBchno": chrg_bchno,
                                                      "fees": rows})

    def discharge(self, settlement_id: int, **fields: str) -> SettlementRecord:
        """2402 (inpatient, before the final settlement): ``diseCodg``, ``diseName``, ``dscgWay``, ``endtime``."""
        return self._record(methods.INS_DISCHARGE, {"settlementId": settlement_id} | fields)

    def pre_settle(self, settlement_id: int, *, use_account: bool = True,
                   mid_settle: bool = False) -> tuple[SettlementRecord, Split]:
        """2206 / 2303: the record and the split the settlement would have (nothing is settled)."""
        ans = self.call(methods.INS_PRE_SETTLE, {"settlementId": settlement_id, "acctUsedFlag": "1" if use_account else "0",
                                                 "midSetlFlag": "1" if mid_settle else "0"})
        return SettlementRecord.from_wire(ans), Split.of(ans["preSettlement"])

    def settle(self, settlement_id: int) -> SettlementRecord:
        """2207 / 2304 (recorded in flight by the server; in doubt -> E5613)."""
        return self._record(methods.INS_SETTLE, {"settlementId": settlement_id})

    def cancel(self, settlement_id: int) -> SettlementRecord:
        """2208 / 2305 of a settled settlement; an unsettled visit is closed by the server locally."""
        return self._record(methods.INS_CANCEL, {"settlementId": settlement_id})

    def cancel_fees(self, settlement_id: int, *, feedetl_sn: Iterable[str] = (), chrg_bchno: str = "") -> dict[str, Any]:
        """2205 (outpatient: ``chrg_bchno``) / 2302 (inpatient: ``feedetl_sn``, "0000" = every
        unsettled line): the record (wire form) with ``cancelledFees``."""
        sns = list(feedetl_sn)
        data: dict[str, Any] = {"settlementId": settlement_id}
        data |= {"feedetlSn": sns} if sns else {"chrgBchno": chrg_bchno}
        return dict(self.call(methods.INS_CANCEL_FEES, data))

    def cancel_registration(self, settlement_id: int) -> SettlementRecord:
        """2202 / 2404: the registration (admission) cancelled, the record ``closed``."""
        return self._record(methods.INS_CANCEL_REGISTRATION, {"settlementId": settlement_id})

    def change_admission(self, settlement_id: int, **fields: str) -> dict[str, Any]:
        """2403 while in hospital: any of ``begntime``, ``medType``, ``diseCodg`` + ``diseName``,
        ``deptCode``, ``deptName``, ``atddrNo``, ``drName``; the record (wire form) with ``changed``."""
        return dict(self.call(methods.INS_CHANGE_ADMISSION, {"settlementId": settlement_id} | fields))

    def cancel_discharge(self, settlement_id: int) -> SettlementRecord:
        """2405: the discharge registration cancelled (no valid final settlement)."""
        return self._record(methods.INS_CANCEL_DISCHARGE, {"settlementId": settlement_id})

    def reverse(self, settlement_id: int) -> SettlementRecord:
        """2601 of the settlement (finance / admin only)."""
        return self._record(methods.INS_REVERSE, {"settlementId": settlement_id})

    def query(self, settlement_id: int, *, refresh: bool = False) -> SettlementRecord:
        """The server's record (``refresh``: with the platform's 5203 view)."""
        return self._record(methods.INS_QUERY, {"settlementId": settlement_id} | ({"refresh": "1"} if refresh else {}))

    def voucher_upload(self, settlement_id: int, bill_batch_code: str, bill_no: str) -> VoucherStatus:
        """Queue the settlement's electronic voucher (4901 with the bill's PDF) on the server's outbox."""
        return VoucherStatus.from_wire(self.call(INS_VOUCHER_UPLOAD, {
            "settlementId": settlement_id, "billBatchCode": bill_batch_code, "billNo": bill_no}))

    def voucher_red(self, settlement_id: int) -> VoucherStatus:
        """Queue the red-flush voucher of a cancelled settlement whose bill was written off."""
        return VoucherStatus.from_wire(self.call(INS_VOUCHER_UPLOAD, {"settlementId": settlement_id, "red": "1"}))

    def reupload_voucher(self, settlement_id: int, reason: str) -> VoucherStatus:
        """Queue the re-upload (4905, the bill's PDF again) of a voucher the centre refused."""
        return VoucherStatus.from_wire(self.call(INS_VOUCHER_REUPLOAD, {"settlementId": settlement_id,
                                                                        "reason": reason}))

    def voucher_status(self, settlement_id: int, *, refresh: bool = False) -> VoucherStatus:
        """The voucher's state on the server (``refresh``: 4902 / 5501 asked now)."""
        return VoucherStatus.from_wire(self.call(INS_VOUCHER_STATUS, {"settlementId": settlement_id}
                                                 | ({"refresh": "1"} if refresh else {})))
