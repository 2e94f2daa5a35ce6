"""The wire vocabulary: every method name that travels between HIS, our terminals, the sync server
and the finance platform, defined once (issue 13).

Two families, both in the platform's signed envelope (finance_platform.md §1):

* **platform methods** at ``/medical-web/api/medical/<method>``: the vendor's V3.2.0 HIS interface
  (:data:`HIS_METHODS`, 49 methods, of which ``getEBillLayoutFile`` is the simulator's own seed
  002 addition) and our §17 emergency extensions (:data:`EXTENSIONS`). The platform (and its
  simulator) serves all of them; the sync server serves HIS_METHODS to HIS and terminals and keeps
  the extensions for its own business with the platform.
* **terminal-api methods** at ``/terminal/api/<method>`` (:data:`TERMINAL_METHODS`): between our
  terminals and the sync server only (docs/EMERGENCY.md "Wire contract").
* **terminal insurance methods** at ``/insurance/api/<method>`` (:data:`INSURANCE_METHODS`):
  terminals ask the sync server to run insurance transactions (docs/INSURANCE.md).

Platform methods are grouped by how they behave, which is what every party decides on:

* issuing (:data:`ISSUE`, :data:`BATCH`): idempotent on busNo / batchNo through a lookup;
* queries (:data:`QUERIES`): read-only, safe to repeat; split into :data:`RECONCILE` (seed 000
  items 4-9), :data:`LOCAL_QUERIES` (whoever keeps the bill records can answer them) and
  :data:`PLATFORM_QUERIES` (only the platform can);
* state changes (:data:`CHANGES`): :data:`BILL_CHANGES` (about one issued e-bill),
  :data:`OTHER_CHANGES` (paper and stock, not about one e-bill) and :data:`VOUCHER_CHANGES`
  (deposit vouchers, which only the platform keeps).

Names are plain ``str`` constants so they go anywhere a string goes (JSON, SQL, URLs). The field
tables of each method are in :mod:`billing_core.bills`; this module knows names and groups only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

# ---------------------------------------------------------------------------------------------
# Platform methods: issuing (spec §3, §4)

INVOICE_EBILL_OUTPATIENT: Final = "invoiceEBillOutpatient"
INV_EBILL_HOSPITALIZED: Final = "invEBillHospitalized"
INV_EBILL_REGISTRATION: Final = "invEBillRegistration"
INV_EBILL_CHECKUP: Final = "invEBillCheckUp"
INVOICE_EBILL_COMMON: Final = "invoiceEBillCommon"

BATCH_INVOICE_EBILL_OUTPATIENT: Final = "batchInvoiceEBillOutpatient"
BATCH_INVOICE_EBILL_HOSPITALIZED: Final = "batchInvoiceEBillHospitalized"
BATCH_INVOICE_EBILL_REGISTRATION: Final = "batchInvoiceEBillRegistration"
BATCH_INVOICE_EBILL_CHECKUP: Final = "batchInvoiceEBillCheckUp"

# ---------------------------------------------------------------------------------------------
# Platform methods: queries

GET_BATCH_INVOICE_EBILL: Final = "getBatchInvoiceEBill"
GET_EBILL_BY_BUS_NO: Final = "getEBillByBusNo"
GET_EBILL_STATES_BY_BILL_INFO: Final = "getEBillStatesByBillInfo"
GET_BILL_DETAIL: Final = "getBillDetail"
GET_EBILL_UNPRINT_LIST: Final = "getEBillUnPrintList"
GET_NOT_PRINT_LIST: Final = "getNotPrintList"
GET_EBILL_PRINT_LIST: Final = "getEBillPrintList"

GET_EBILL_PIC_URL: Final = "getEBillPicUrl"
GET_EBILL_NOTIFY_PIC: Final = "getEBillNotifyPic"
GET_EBILL_ACCOUNT_STATUS: Final = "getEBillAccountStatus"
GET_PAPER_BILL_NO: Final = "getPaperBillNo"
GET_BILL_STOCK_OUT_LIST: Final = "getBillStockOutList"
GET_VALID_BILL_NO: Final = "getValidBillNo"
GET_VALID_BILL_BATCH_CODE: Final = "getValidBillBatchCode"
GET_ELECT_BILL_LIST_TOTAL: Final = "getElectBilllListTotal"  # sic: three l's, as the vendor spells it
TEST_SERVER_CONNECT: Final = "testServerConnect"
GET_EBILL_LAYOUT_FILE: Final = "getEBillLayoutFile"  # seed 002 (7); no field table in billing_core.bills

CHECK_TOTAL_DATA: Final = "checkTotalData"
CHECK_TOTAL_DATA_BY_IVC_DATE: Final = "checkTotalDataByIvcDate"
CHECK_DATA_BY_PLACE: Final = "checkDataByPlace"
CHECK_DATA_PLACE_BY_IVC_DATE: Final = "checkDataPlaceByIvcDate"
CHECK_WRITE_OFF_DATA: Final = "checkWriteOffData"
CHECK_WRITE_OFF_DATA_BY_IVC_DATE: Final = "checkWriteOffDataByIvcDate"
GET_BILL_BY_BUS_DATE: Final = "getBillByBusDate"
GET_BILL_BY_IVC_DATE: Final = "getBillByIvcDate"

# ---------------------------------------------------------------------------------------------
# Platform methods: state changes

WRITE_OFF_EBILL: Final = "writeOffEBill"
WRITE_OFF_EBILL_TO_PAPER: Final = "writeOffEBillToPaper"
TURN_PAPER: Final = "turnPaper"
RE_TURN_PAPER: Final = "reTurnPaper"
INVALID_PAPER: Final = "invalidPaper"
RECEIVE_ARREARS_FEEDBACK: Final = "receiveArreasFeedBack"  # sic, as the vendor spells it
RECEIVE_LIST_DETAIL: Final = "receiveListDetail"
SEND_BILL_NOTICE: Final = "sendBillNotice"

INVALID_BLANK_BILL_NO: Final = "invalidBlankBillNo"
BILL_STOCK_OUT: Final = "billStockOut"
BILL_STOCK_RETURN: Final = "billStockReturn"

INVOICE_PAYMENT_VOUCHER: Final = "invoicePayMentVoucher"
WRITE_OFF_PAYMENT_VOUCHER: Final = "writeOffPayMentVoucher"
CANCEL_PAYMENT_VOUCHER_BALANCE: Final = "cancelPayMentVoucherBalance"
INVALID_PAYMENT_VOUCHER_PAPER: Final = "invalidPayMentVoucherPaper"

# ---------------------------------------------------------------------------------------------
# Platform methods: our emergency extensions (spec §17), never offered to HIS

EMERGENCY_STOCK_OUT: Final = "emergencyStockOut"
EMERGENCY_STOCK_RETURN: Final = "emergencyStockReturn"
UPLOAD_EMERGENCY_EBILL: Final = "uploadEmergencyEBill"


# ---------------------------------------------------------------------------------------------
# Groups


@dataclass(frozen=True)
class IssueMethod:
    """One issuing method (spec §3).

    :param name: the wire name.
    :param bill_type: its ``billType`` in uploadEmergencyEBill (§17), also the name of its bill
        schema in billing_core.bills.issuing.
    :param bus_types: the platform busTypes it may carry; the first is the default.
    :param batch: its batch-issuing method (§4), or None (common bills have none).
    """

    name: str
    bill_type: str
    bus_types: tuple[str, ...]
    batch: str | None


#: Issuing methods, in spec order: idempotent on busNo through getEBillByBusNo (DESIGN.md §3).
ISSUE: Mapping[str, IssueMethod] = MappingProxyType({m.name: m for m in (
    IssueMethod(INVOICE_EBILL_OUTPATIENT, "outpatient", ("02", "03", "04"), BATCH_INVOICE_EBILL_OUTPATIENT),
    IssueMethod(INV_EBILL_HOSPITALIZED, "hospitalized", ("01",), BATCH_INVOICE_EBILL_HOSPITALIZED),
    IssueMethod(INV_EBILL_REGISTRATION, "registration", ("06",), BATCH_INVOICE_EBILL_REGISTRATION),
    IssueMethod(INV_EBILL_CHECKUP, "checkup", ("05",), BATCH_INVOICE_EBILL_CHECKUP),
    IssueMethod(INVOICE_EBILL_COMMON, "common", ("09", "10", "11"), None),
)})

#: Batch issuing method -> the single issuing method of its items; idempotent on batchNo through
#: getBatchInvoiceEBill.
BATCH: Mapping[str, str] = MappingProxyType({m.batch: m.name for m in ISSUE.values() if m.batch})

#: uploadEmergencyEBill ``billType`` -> the issuing method it stands for.
BILL_TYPES: Mapping[str, str] = MappingProxyType({m.bill_type: m.name for m in ISSUE.values()})

#: Platform busTypes a method may carry (issuing methods and the deposit voucher), first = default.
BUS_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    **{m.name: m.bus_types for m in ISSUE.values()},
    INVOICE_PAYMENT_VOUCHER: ("07", "08", "12"),
})

#: Reconciliation (seed 000 items 4-9): read-only, answered from bill records.
RECONCILE: frozenset[str] = frozenset({
    CHECK_TOTAL_DATA, CHECK_TOTAL_DATA_BY_IVC_DATE, CHECK_DATA_BY_PLACE, CHECK_DATA_PLACE_BY_IVC_DATE,
    CHECK_WRITE_OFF_DATA, CHECK_WRITE_OFF_DATA_BY_IVC_DATE, GET_BILL_BY_BUS_DATE, GET_BILL_BY_IVC_DATE,
})

#: Read-only queries that whoever keeps the bill records can answer.
LOCAL_QUERIES: frozenset[str] = frozenset({
    GET_EBILL_BY_BUS_NO, GET_EBILL_STATES_BY_BILL_INFO, GET_BILL_DETAIL, GET_BATCH_INVOICE_EBILL,
    GET_EBILL_UNPRINT_LIST, GET_NOT_PRINT_LIST, GET_EBILL_PRINT_LIST,
})

#: Read-only queries only the platform can answer (pictures, booking state, stock, paper numbers).
PLATFORM_QUERIES: frozenset[str] = frozenset({
    GET_EBILL_PIC_URL, GET_EBILL_NOTIFY_PIC, GET_EBILL_ACCOUNT_STATUS, GET_PAPER_BILL_NO,
    GET_BILL_STOCK_OUT_LIST, GET_VALID_BILL_NO, GET_VALID_BILL_BATCH_CODE, GET_ELECT_BILL_LIST_TOTAL,
    TEST_SERVER_CONNECT, GET_EBILL_LAYOUT_FILE,
})

#: Every read-only method: safe to send again after a lost answer.
QUERIES: frozenset[str] = RECONCILE | LOCAL_QUERIES | PLATFORM_QUERIES

#: State changes of one issued e-bill (red-flush, paper exchange, circulation, list, notices).
BILL_CHANGES: frozenset[str] = frozenset({
    WRITE_OFF_EBILL, WRITE_OFF_EBILL_TO_PAPER, TURN_PAPER, RE_TURN_PAPER, INVALID_PAPER,
    RECEIVE_ARREARS_FEEDBACK, RECEIVE_LIST_DETAIL, SEND_BILL_NOTICE,
})

#: State changes not about one e-bill: blank paper voided, paper stock handed out or returned.
OTHER_CHANGES: frozenset[str] = frozenset({INVALID_BLANK_BILL_NO, BILL_STOCK_OUT, BILL_STOCK_RETURN})

#: Deposit-voucher changes (spec §15): the platform alone keeps vouchers.
VOUCHER_CHANGES: frozenset[str] = frozenset({
    INVOICE_PAYMENT_VOUCHER, WRITE_OFF_PAYMENT_VOUCHER, CANCEL_PAYMENT_VOUCHER_BALANCE,
    INVALID_PAYMENT_VOUCHER_PAPER,
})

#: Every state change other than issuing: not safe to send twice without a lookup.
CHANGES: frozenset[str] = BILL_CHANGES | OTHER_CHANGES | VOUCHER_CHANGES

#: What only the platform can answer or do: a server in front of it cannot answer from its records
#: nor queue for later.
FORWARD_ONLY: frozenset[str] = PLATFORM_QUERIES | VOUCHER_CHANGES

#: The vendor's HIS interface as served to HIS (issue 3's exhaustive list; §17 excluded).
HIS_METHODS: frozenset[str] = frozenset(ISSUE) | frozenset(BATCH) | QUERIES | CHANGES

#: Our §17 emergency extensions: between the sync server and the platform only.
EXTENSIONS: frozenset[str] = frozenset({EMERGENCY_STOCK_OUT, EMERGENCY_STOCK_RETURN, UPLOAD_EMERGENCY_EBILL})

# Our bill-stock lifecycle extensions (issue 18 §2, docs/STOCK.md): 票据申领 -> approval ->
# numbers issued -> 入库确认, 申退 and voiding of the unit's own stock. The vendor's HIS interface has
# none of these (spec §8 only moves paper between the unit and its points); like §17 they are
# between the sync server and the platform only.

#: ``{applyNo, billCode, count, applicant, reason}`` -> ``{applyNo, state}`` (idempotent on applyNo).
APPLY_BILL_STOCK: Final = "applyBillStock"
#: ``{applyNo}`` -> ``{applyNo, state, opinion, billNoList}`` (numbers once approved).
GET_BILL_STOCK_APPLY: Final = "getBillStockApply"
#: ``{applyNo, operator}``: 入库确认, the approved numbers enter the unit's stock (idempotent).
CONFIRM_BILL_STOCK_IN: Final = "confirmBillStockIn"
#: ``{billNoList, returner, reason}``: 申退, unused unit stock given back to finance for ever.
RETURN_BILL_STOCK: Final = "returnBillStock"
#: ``{billNoList, author, reason}``: 库存作废 of the unit's own (undistributed) stock.
INVALID_UNIT_BILL_STOCK: Final = "invalidUnitBillStock"

#: The stock lifecycle extensions.
STOCK_EXTENSIONS: frozenset[str] = frozenset({
    APPLY_BILL_STOCK, GET_BILL_STOCK_APPLY, CONFIRM_BILL_STOCK_IN, RETURN_BILL_STOCK, INVALID_UNIT_BILL_STOCK,
})

#: 财政基础信息 download (issue 18 §4; our extension, the vendor's HIS interface has none):
#: ``{kind: unit | billKind | incomeItem}`` -> ``{kind, list: [{code, name, parentCode, ...}]}``.
GET_BASE_INFO: Final = "getBaseInfo"

#: The base-information extension.
BASE_INFO_EXTENSIONS: frozenset[str] = frozenset({GET_BASE_INFO})

#: Every method the finance platform serves.
PLATFORM_METHODS: frozenset[str] = HIS_METHODS | EXTENSIONS | STOCK_EXTENSIONS | BASE_INFO_EXTENSIONS

# ---------------------------------------------------------------------------------------------
# Terminal-api methods (docs/EMERGENCY.md "Wire contract"): terminal <-> sync server only

#: ``{sm2PublicKey}``: the key that verifies the terminal's emergency bills.
TERMINAL_REGISTER: Final = "register"
#: terminal status -> server time, outbox backlog, revoked blocks, alarms.
TERMINAL_HEARTBEAT: Final = "heartbeat"
#: ``{username, password}`` -> the user's name, role and a server session token (issue 14 item 4;
#: terminal kinds only, never HIS).
TERMINAL_LOGIN: Final = "login"
#: ``{username, oldPassword, newPassword}``: a user changes the password (needed after expiry/reset).
TERMINAL_CHANGE_PASSWORD: Final = "changePassword"
#: ends the session the request carries (``sessionToken``).
TERMINAL_LOGOUT: Final = "logout"
#: 应急开票基础信息: granted billing points, pay channels, charge items.
TERMINAL_CATALOG: Final = "catalog"
#: ``{placeCode, count}``: an emergency block reserved on the platform for the terminal.
TERMINAL_STOCK_OUT: Final = "emergencyStock"
#: 申退: unused emergency numbers given back (same name as the §17 extension, other endpoint).
TERMINAL_STOCK_RETURN: Final = "emergencyStockReturn"
#: the terminal's emergency journal, carried forward by the server.
TERMINAL_UPLOAD: Final = "uploadEmergencyBills"
#: a staffed window finds any bill of the hospital (busNo, number, payer, ID, phone, card; issue 18 §1)
TERMINAL_FIND_BILLS: Final = "findBills"

#: ``{report, dateFrom, dateTo, placeCode?, payee?, busType?, page?, pageSize?}``: a hospital-wide
#: report (issue 18 §3; docs/REPORTS.md), finance and admin only.
TERMINAL_REPORT: Final = "financeReport"
#: ``{table, action: list|save|disable|enable, row?, code?}``: departments, checkers, common
#: payers, item groups (issue 18 §4), finance and admin.
TERMINAL_CONFIG: Final = "financeConfig"
#: ``{action: download | list, kind?}``: the finance platform's base information (unit, bill kinds,
#: income items) downloaded into the server / read back (finance, admin).
TERMINAL_BASE_INFO: Final = "financeBaseInfo"
#: ``{action: list|create|role|enable|disable|reset, ...}``: users managed from the screens (admin).
TERMINAL_USERS: Final = "manageUsers"
#: ``{action: list|create|grant|enable|disable|rotate, ...}``: HIS and terminal callers (admin).
TERMINAL_CALLERS: Final = "manageCallers"
#: ``{dateFrom, dateTo, actor?, action?, entity?, page?, pageSize?}``: the audit log, read-only, with
#: the hash chain's verification.
TERMINAL_AUDIT: Final = "auditLog"
# The finance office's bill stock (issue 18 §2, docs/STOCK.md): every call carries ``requestId``
# where it changes something (a repeat answers the recorded outcome).

#: the whole stock view: lots with their balance, pieces, holdings, applications, thresholds,
#: warnings and the emergency blocks.
TERMINAL_STOCK_VIEW: Final = "stockView"
#: the journal between ``dayFrom`` and ``dayTo`` (入库 / 分发 / 作废 / 申退) and the 领用存 ledger.
TERMINAL_STOCK_MOVES: Final = "stockMoves"
#: 期初库存: ``{billCode, billName, billBatchCode, billBgnNo, billEndNo}``.
TERMINAL_STOCK_OPENING: Final = "stockOpening"
#: 票据申领: ``{billCode, count, reason}`` -> the application (sent to the platform).
TERMINAL_STOCK_APPLY: Final = "stockApply"
#: the platform's decision on an application: ``{applyNo}``.
TERMINAL_STOCK_APPLY_REFRESH: Final = "stockApplyRefresh"
#: 入库确认 of an approved application: ``{applyNo}``.
TERMINAL_STOCK_CONFIRM: Final = "stockConfirm"
#: 分发: ``{billBatchCode, billBgnNo, billEndNo, placeCode, terminalId}`` from the store.
TERMINAL_STOCK_DISTRIBUTE: Final = "stockDistribute"
#: 收回: distributed numbers back to the store.
TERMINAL_STOCK_RECALL: Final = "stockRecall"
#: 库存作废: ``{billBatchCode, billBgnNo, billEndNo, reason}`` (in the store or at a point).
TERMINAL_STOCK_VOID: Final = "stockVoid"
#: 申退: store numbers given back to finance.
TERMINAL_STOCK_GIVE_BACK: Final = "stockReturn"
#: a low-stock threshold: ``{placeCode, terminalId, billCode, minCount}``.
TERMINAL_STOCK_THRESHOLD: Final = "stockThreshold"
#: 年结: ``{year, close}`` -> the year's summary, or its closure (issue 18 §5).
TERMINAL_STOCK_YEAR_END: Final = "stockYearEnd"

#: The finance office's stock methods.
TERMINAL_STOCK_METHODS: frozenset[str] = frozenset({
    TERMINAL_STOCK_VIEW, TERMINAL_STOCK_MOVES, TERMINAL_STOCK_OPENING, TERMINAL_STOCK_APPLY,
    TERMINAL_STOCK_APPLY_REFRESH, TERMINAL_STOCK_CONFIRM, TERMINAL_STOCK_DISTRIBUTE, TERMINAL_STOCK_RECALL,
    TERMINAL_STOCK_VOID, TERMINAL_STOCK_GIVE_BACK, TERMINAL_STOCK_THRESHOLD, TERMINAL_STOCK_YEAR_END,
})

#: Every terminal-api method.
TERMINAL_METHODS: frozenset[str] = frozenset({
    TERMINAL_FIND_BILLS, TERMINAL_REGISTER, TERMINAL_HEARTBEAT, TERMINAL_LOGIN, TERMINAL_CATALOG, TERMINAL_STOCK_OUT,
    TERMINAL_STOCK_RETURN, TERMINAL_UPLOAD, TERMINAL_CHANGE_PASSWORD, TERMINAL_LOGOUT,
    TERMINAL_REPORT, TERMINAL_CONFIG, TERMINAL_BASE_INFO, TERMINAL_USERS, TERMINAL_CALLERS, TERMINAL_AUDIT,
}) | TERMINAL_STOCK_METHODS

# ---------------------------------------------------------------------------------------------
# Terminal insurance methods at ``/insurance/api/<method>`` (issue 16 §3, docs/INSURANCE.md):
# terminal <-> sync server; the server speaks the insurance platform's transactions behind them.

#: 9001 for the session's operator -> ``{signNo, signTime}`` (the server caches one per operator).
INS_SIGN_IN: Final = "insSignIn"
#: 1101 ``{mdtrtCertType, mdtrtCertNo[, cardSn]}`` -> the person and their insurance rows.
INS_PERSON_INFO: Final = "insPersonInfo"
#: 2201 / 2401: a visit registered on the platform; the server's settlement record starts here.
INS_REGISTER: Final = "insRegister"
#: 2204 / 2301: fee details of a registered visit.
INS_UPLOAD_FEES: Final = "insUploadFees"
#: 2402: an inpatient visit's discharge (before its final settlement).
INS_DISCHARGE: Final = "insDischarge"
#: 2206 / 2303: pre-settlement (no settlement is created on the platform).
INS_PRE_SETTLE: Final = "insPreSettle"
#: 2207 / 2304: the settlement; recorded in flight before it is sent, resolved by 5203 / 2601.
INS_SETTLE: Final = "insSettle"
#: 2208 / 2305: a settled settlement cancelled (negated amounts).
INS_CANCEL: Final = "insCancel"
#: 2601: a settlement (or an in-doubt attempt) reversed by its msgid.
INS_REVERSE: Final = "insReverse"
#: the server's settlement record, refreshed by 5203 when asked.
INS_QUERY: Final = "insSettlementQuery"
#: 3201 per insutype / clr_type for a day, 3202 on mismatch: the reconciliation report.
INS_RECONCILE: Final = "insReconcile"
#: 2205 / 2302: fee details cancelled (by ``chrgBchno`` / ``feedetlSn``; "0000" = every unsettled line).
INS_CANCEL_FEES: Final = "insCancelFees"
#: 2202 / 2404: the registration (admission) cancelled — the last step of the way back.
INS_CANCEL_REGISTRATION: Final = "insCancelRegistration"
#: 2403: an inpatient's admission data changed while in hospital.
INS_CHANGE_ADMISSION: Final = "insChangeAdmission"
#: 2405: an inpatient's discharge cancelled (no valid final settlement).
INS_CANCEL_DISCHARGE: Final = "insCancelDischarge"
#: 4101: the settlement list (医疗保障基金结算清单) of a settled settlement.
INS_UPLOAD_SETTLEMENT_LIST: Final = "insUploadSettlementList"

#: the settlement's electronic voucher (seed 002) queued for 4901 with the bill's layout file.
INS_VOUCHER_UPLOAD: Final = "insVoucherUpload"
#: the voucher's state on the server (with 4902 / 5501 when asked to refresh).
INS_VOUCHER_STATUS: Final = "insVoucherStatus"
#: the voucher the centre refused on review, re-uploaded (4905) with the bill's layout file again.
INS_VOUCHER_REUPLOAD: Final = "insVoucherReupload"

#: Every terminal insurance method.
INSURANCE_METHODS: frozenset[str] = frozenset({
    INS_SIGN_IN, INS_PERSON_INFO, INS_REGISTER, INS_UPLOAD_FEES, INS_DISCHARGE, INS_PRE_SETTLE, INS_SETTLE,
    INS_CANCEL, INS_REVERSE, INS_QUERY, INS_RECONCILE, INS_CANCEL_FEES, INS_CANCEL_REGISTRATION,
    INS_CHANGE_ADMISSION, INS_CANCEL_DISCHARGE, INS_UPLOAD_SETTLEMENT_LIST,
    INS_VOUCHER_UPLOAD, INS_VOUCHER_STATUS, INS_VOUCHER_REUPLOAD,
})
#: Insurance methods that change nothing on the platform.
INSURANCE_QUERIES: frozenset[str] = frozenset({INS_SIGN_IN, INS_PERSON_INFO, INS_QUERY, INS_VOUCHER_STATUS})
