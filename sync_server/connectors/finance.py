"""Typed client of the finance e-bill platform's HIS interface (spec finance_platform.md §1-§12).

One :class:`FinanceClient` per platform account (URL prefix, appid, key). Every platform method
has a typed method here; the safety policy they follow — lookup by busNo before any re-send of an
issue, state check before re-sending a write-off, batch lookup before re-sending a batch, queries
retried, other changes sent once, the circuit breaker — is :mod:`sync_server.connectors.policy`'s
(:class:`~sync_server.connectors.policy.PlatformClient`, which this class extends). The sync server
holds one of these on its context (``ServerContext.upstream``); its rooms mostly call the policy's
generic methods (``call``, ``resolve_issue``, ``write_off``, ``ext.carry_forward`` ...) because
they pass HIS requests through by method name.

The §17 emergency extensions live in :mod:`sync_server.connectors.finance_ext`, reached through
``client.ext``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_core import methods
from sync_server.connectors.errors import PlatformRejected
from sync_server.connectors.finance_transport import (
    ALL_METHODS,
    BATCH_METHODS,
    ISSUE_METHODS,
    ONCE_METHODS,
    QUERY_METHODS,
    Payload,
    as_payload,
)
from sync_server.connectors.policy import IssueOutcome, Outcome, PlatformClient

__all__ = ["ALL_METHODS", "BATCH_METHODS", "ISSUE_METHODS", "ONCE_METHODS", "QUERY_METHODS", "FinanceClient",
           "IssueOutcome", "Outcome", "Payload"]


class FinanceClient(PlatformClient):
    """The finance platform client: typed methods over the policy and the signed transport.

    Constructor: ``FinanceClient(base_url, appid, key, timeout=10.0, session=None, *, breaker=None, ...)``
    — see :class:`~sync_server.connectors.finance_transport.FinanceTransport` for every option.
    """

    # ------------------------------------------------------------------ issuing (§3, §4)

    def _issued(self, method: str, bill: Mapping[str, Any]) -> Payload:
        """:meth:`issue` one bill: the platform's bill (issue answer or busNo lookup)."""
        return as_payload(method, self.issue(method, bill).payload)

    def invoice_ebill_outpatient(self, bill: Mapping[str, Any]) -> Payload:
        """门诊 e-bill (busType 02); response per spec §3.4."""
        return self._issued(methods.INVOICE_EBILL_OUTPATIENT, bill)

    def inv_ebill_hospitalized(self, bill: Mapping[str, Any]) -> Payload:
        """住院 e-bill (busType 01)."""
        return self._issued(methods.INV_EBILL_HOSPITALIZED, bill)

    def inv_ebill_registration(self, bill: Mapping[str, Any]) -> Payload:
        """挂号 e-bill (busType 06)."""
        return self._issued(methods.INV_EBILL_REGISTRATION, bill)

    def inv_ebill_checkup(self, bill: Mapping[str, Any]) -> Payload:
        """体检 e-bill (busType 05)."""
        return self._issued(methods.INV_EBILL_CHECKUP, bill)

    def invoice_ebill_common(self, bill: Mapping[str, Any]) -> Payload:
        """Non-medical common bill (busType 09/10/11, V3.2.0)."""
        return self._issued(methods.INVOICE_EBILL_COMMON, bill)

    def batch_invoice_ebill_outpatient(self, batch_no: str, bills: list[Mapping[str, Any]]) -> Any:
        """Batch 门诊 issuing (spec §4), processed by the platform after the call returns."""
        return self.batch_issue(methods.BATCH_INVOICE_EBILL_OUTPATIENT, {"batchNo": batch_no, "eBillList": bills})

    def batch_invoice_ebill_hospitalized(self, batch_no: str, bills: list[Mapping[str, Any]]) -> Any:
        """Batch 住院 issuing."""
        return self.batch_issue(methods.BATCH_INVOICE_EBILL_HOSPITALIZED, {"batchNo": batch_no, "eBillList": bills})

    def batch_invoice_ebill_registration(self, batch_no: str, bills: list[Mapping[str, Any]]) -> Any:
        """Batch 挂号 issuing."""
        return self.batch_issue(methods.BATCH_INVOICE_EBILL_REGISTRATION, {"batchNo": batch_no, "eBillList": bills})

    def batch_invoice_ebill_checkup(self, batch_no: str, bills: list[Mapping[str, Any]]) -> Any:
        """Batch 体检 issuing."""
        return self.batch_issue(methods.BATCH_INVOICE_EBILL_CHECKUP, {"batchNo": batch_no, "eBillList": bills})

    def get_batch_invoice_ebill(self, batch_no: str) -> Payload:
        """Batch result: ``{count, eBillList:[{busNo, status 0/1/2, errMsg, billBatchCode, ...}]}``."""
        return self.query_payload(methods.GET_BATCH_INVOICE_EBILL, {"batchNo": batch_no})

    # ------------------------------------------------------------------ red-flush and lookups (§5)

    def write_off_ebill_to_paper(self, data: Mapping[str, Any]) -> Payload:
        """Red-flush a bill exchanged to paper onto a red paper bill (pBillBatchCode/pBillNo)."""
        return self.call_payload(methods.WRITE_OFF_EBILL_TO_PAPER, data)

    def get_ebill_by_bus_no(self, bus_no: str, bus_date_time: str) -> Payload | None:
        """The bill issued for a busNo, or None when the platform has none (the idempotency lookup)."""
        try:
            return self.query_payload(methods.GET_EBILL_BY_BUS_NO, {"busNo": bus_no, "busDateTime": bus_date_time})
        except PlatformRejected as exc:
            if exc.code in self.not_found_codes:
                return None
            raise

    def get_ebill_states_by_bill_info(self, bill_batch_code: str, bill_no: str) -> Payload:
        """State of a bill: state, isPrtPaper, pBill*, isScarlet, scarlet* (spec §5)."""
        return self.query_payload(methods.GET_EBILL_STATES_BY_BILL_INFO, {"billBatchCode": bill_batch_code, "billNo": bill_no})

    def get_bill_detail(self, bill_batch_code: str, bill_no: str, random: str) -> Payload:
        """Full bill content: header, chargeDetail, listDetail, payChannelDetail."""
        return self.query_payload(methods.GET_BILL_DETAIL, {"billBatchCode": bill_batch_code, "billNo": bill_no,
                                            "random": random})

    def get_ebill_pic_url(self, bill_batch_code: str, bill_no: str, random: str,
                          channel_mode: str = "1") -> Payload:
        """H5 page URLs of a bill (channelMode 1 default, 2 Alipay, 3 WeChat, 4 App)."""
        return self.query_payload(methods.GET_EBILL_PIC_URL, {"billBatchCode": bill_batch_code, "billNo": bill_no,
                                             "random": random, "channelMode": channel_mode})

    def get_ebill_notify_pic(self, bill_batch_code: str, bill_no: str, is_return_pic: str = "1") -> Payload:
        """The notice (告知单): billQRCode and, with isReturnPic=1, pictureData (base64 PNG)."""
        return self.query_payload(methods.GET_EBILL_NOTIFY_PIC, {"billBatchCode": bill_batch_code, "billNo": bill_no,
                                                "isReturnPic": is_return_pic})

    def get_ebill_account_status(self, bill_batch_code: str, bill_no: str, random: str,
                                 create_time: str) -> Payload:
        """Booking state ``{state: "0" not booked | "1" booked}``."""
        return self.query_payload(methods.GET_EBILL_ACCOUNT_STATUS, {"billBatchCode": bill_batch_code, "billNo": bill_no,
                                                    "random": random, "createTime": create_time})

    def get_ebill_un_print_list(self, query: Mapping[str, Any]) -> Payload:
        """E-bills not yet exchanged to paper (busBgnDate, busEndDate, cardType, cardNo, paging)."""
        return self.query_payload(methods.GET_EBILL_UNPRINT_LIST, query)

    def get_not_print_list(self, query: Mapping[str, Any]) -> Payload:
        """E-bill images not yet printed (cardType/cardNo optional; items carry listFlag)."""
        return self.query_payload(methods.GET_NOT_PRINT_LIST, query)

    def get_ebill_print_list(self, query: Mapping[str, Any]) -> Payload:
        """Bills already exchanged to paper (range ≤ 1 week)."""
        return self.query_payload(methods.GET_EBILL_PRINT_LIST, query)

    def get_elect_bill_list_total(self, bill_batch_code: str, bill_no: str, random: str) -> Payload:
        """List page count ``{total}``; a bill without list lines is refused (E3040)."""
        return self.query_payload(methods.GET_ELECT_BILL_LIST_TOTAL, {"billBatchCode": bill_batch_code, "billNo": bill_no,
                                                     "random": random})

    def get_ebill_layout_file(self, bill_batch_code: str, bill_no: str, random: str) -> Payload:
        """The bill's layout file (PDF, base64 ``fileData``) — needed by the insurance voucher upload."""
        return self.query_payload(methods.GET_EBILL_LAYOUT_FILE, {"billBatchCode": bill_batch_code, "billNo": bill_no,
                                                 "random": random})

    def receive_arreas_feed_back(self, bill_batch_code: str, bill_no: str, feed_back_date: str) -> Any:
        """Circulation feedback: a not-circulable bill becomes circulable (feedBackDate yyyy-MM-dd)."""
        return self.call(methods.RECEIVE_ARREARS_FEEDBACK, {"billBatchCode": bill_batch_code, "billNo": bill_no,
                                                   "feedBackDate": feed_back_date})

    def receive_list_detail(self, data: Mapping[str, Any]) -> Any:
        """Push itemised-list chunks (batchNo increasing, listDetail ≤ 200), V2.0.3 method."""
        return self.call(methods.RECEIVE_LIST_DETAIL, data)

    def send_bill_notice(self, bill_batch_code: str, bill_no: str,
                         notices: list[Mapping[str, str]]) -> Any:
        """Send the bill by SMS (noticeType 1201) or e-mail (1202)."""
        return self.call(methods.SEND_BILL_NOTICE, {"billBatchCode": bill_batch_code, "billNo": bill_no,
                                            "noticeList": notices})

    # ------------------------------------------------------------------ paper (§7)

    def get_paper_bill_no(self, place_code: str, p_bill_batch_code: str) -> Payload:
        """Next usable paper number at a billing point ``{pBillBatchCode, pBillNo}``."""
        return self.query_payload(methods.GET_PAPER_BILL_NO, {"placeCode": place_code, "pBillBatchCode": p_bill_batch_code})

    def turn_paper(self, data: Mapping[str, Any]) -> Any:
        """Exchange an e-bill for the paper number physically printed (once only)."""
        return self.call(methods.TURN_PAPER, data)

    def re_turn_paper(self, data: Mapping[str, Any]) -> Any:
        """Re-exchange onto a new paper number; the old paper number is voided."""
        return self.call(methods.RE_TURN_PAPER, data)

    def invalid_paper(self, data: Mapping[str, Any]) -> Payload:
        """Void an exchanged paper bill; the platform red-flushes the e-bill in the same call."""
        return self.call_payload(methods.INVALID_PAPER, data)

    def invalid_blank_bill_no(self, data: Mapping[str, Any]) -> Any:
        """Void unused paper numbers pBillNoStart..pBillNoEnd."""
        return self.call(methods.INVALID_BLANK_BILL_NO, data)

    # ------------------------------------------------------------------ stock (§8)

    def bill_stock_out(self, data: Mapping[str, Any]) -> Any:
        """Issue a stock range from the unit to a billing point."""
        return self.call(methods.BILL_STOCK_OUT, data)

    def bill_stock_return(self, data: Mapping[str, Any]) -> Any:
        """Return an unused stock range from a billing point to the unit."""
        return self.call(methods.BILL_STOCK_RETURN, data)

    def get_bill_stock_out_list(self, query: Mapping[str, Any]) -> Payload:
        """Stock issued to points between bgnDate and endDate."""
        return self.query_payload(methods.GET_BILL_STOCK_OUT_LIST, query)

    def get_valid_bill_no(self, place_code: str, bill_code: str = "", bill_batch_code: str = "") -> Payload:
        """Valid (unused) number ranges at a billing point."""
        return self.query_payload(methods.GET_VALID_BILL_NO, {"placeCode": place_code, "billCode": bill_code,
                                             "billBatchCode": bill_batch_code})

    def get_valid_bill_batch_code(self, place_code: str) -> Payload:
        """Bill codes and batch codes usable at a billing point."""
        return self.query_payload(methods.GET_VALID_BILL_BATCH_CODE, {"placeCode": place_code})

    # ------------------------------------------------------------------ reconciliation (§10)

    def check_total_data(self, query: Mapping[str, Any], *, by_ivc_date: bool = False) -> Payload:
        """Totals check by business date (or issue date)."""
        return self.query_payload(methods.CHECK_TOTAL_DATA_BY_IVC_DATE if by_ivc_date else methods.CHECK_TOTAL_DATA, query)

    def check_data_by_place(self, query: Mapping[str, Any], *, by_ivc_date: bool = False) -> Payload:
        """Per-billing-point check by business date (or issue date)."""
        return self.query_payload(methods.CHECK_DATA_PLACE_BY_IVC_DATE if by_ivc_date else methods.CHECK_DATA_BY_PLACE, query)

    def check_write_off_data(self, query: Mapping[str, Any], *, by_ivc_date: bool = False) -> Payload:
        """Refund (red bill) check by business date (or issue date)."""
        return self.query_payload(methods.CHECK_WRITE_OFF_DATA_BY_IVC_DATE if by_ivc_date else methods.CHECK_WRITE_OFF_DATA, query)

    def get_bill_by_bus_date(self, query: Mapping[str, Any], *, by_ivc_date: bool = False) -> Payload:
        """Bill list by business time range (or issue time range), paged."""
        return self.query_payload(methods.GET_BILL_BY_IVC_DATE if by_ivc_date else methods.GET_BILL_BY_BUS_DATE, query)

    # ------------------------------------------------------------------ prepayment vouchers (§6)

    def invoice_pay_ment_voucher(self, data: Mapping[str, Any]) -> Payload:
        """Issue a prepayment (deposit) voucher."""
        return self.call_payload(methods.INVOICE_PAYMENT_VOUCHER, data)

    def write_off_pay_ment_voucher(self, data: Mapping[str, Any]) -> Payload:
        """Refund a deposit: red voucher."""
        return self.call_payload(methods.WRITE_OFF_PAYMENT_VOUCHER, data)

    def cancel_pay_ment_voucher_balance(self, data: Mapping[str, Any]) -> Payload:
        """Undo a settlement that consumed vouchers: red e-bill, vouchers settleable again."""
        return self.call_payload(methods.CANCEL_PAYMENT_VOUCHER_BALANCE, data)

    def invalid_pay_ment_voucher_paper(self, data: Mapping[str, Any]) -> Payload:
        """Void a paper bill printed from a deposit voucher."""
        return self.call_payload(methods.INVALID_PAYMENT_VOUCHER_PAPER, data)

    # ------------------------------------------------------------------ connectivity

    def test_server_connect(self, test_value: str = "ping") -> Any:
        """Connectivity check; answers the platform's success text."""
        return self.query(methods.TEST_SERVER_CONNECT, {"testValue": test_value})
