"""The platform methods the server offers to HIS (issue 3's exhaustive list), grouped by how
the server handles them. The §17 emergency extensions are deliberately absent: they are the
server's own business with the platform, never exposed to HIS.
"""

from __future__ import annotations

#: method -> (billType for uploadEmergencyEBill, busType default)
ISSUE_METHODS: dict[str, str] = {
    "invoiceEBillOutpatient": "outpatient",
    "invEBillHospitalized": "hospitalized",
    "invEBillRegistration": "registration",
    "invEBillCheckUp": "checkup",
    "invoiceEBillCommon": "common",
}

BATCH_METHODS: dict[str, str] = {
    "batchInvoiceEBillOutpatient": "invoiceEBillOutpatient",
    "batchInvoiceEBillHospitalized": "invEBillHospitalized",
    "batchInvoiceEBillRegistration": "invEBillRegistration",
    "batchInvoiceEBillCheckUp": "invEBillCheckUp",
}

#: state changes on an issued bill: forwarded when up, queued in order when down
BILL_CHANGES = frozenset({
    "writeOffEBill", "writeOffEBillToPaper", "turnPaper", "reTurnPaper", "invalidPaper",
    "receiveArreasFeedBack", "receiveListDetail", "sendBillNotice",
})

#: state changes that are not about one e-bill: forwarded when up, queued when down
OTHER_CHANGES = frozenset({"invalidBlankBillNo", "billStockOut", "billStockReturn"})

#: reconciliation (seed 000 items 4-9): always answered from local records
RECONCILE = frozenset({
    "checkTotalData", "checkTotalDataByIvcDate", "checkDataByPlace", "checkDataPlaceByIvcDate",
    "checkWriteOffData", "checkWriteOffDataByIvcDate", "getBillByBusDate", "getBillByIvcDate",
})

#: queries: forwarded when up; answered from local records when down (where records suffice)
LOCAL_QUERIES = frozenset({
    "getEBillByBusNo", "getEBillStatesByBillInfo", "getBillDetail", "getBatchInvoiceEBill",
    "getEBillUnPrintList", "getNotPrintList", "getEBillPrintList",
})

#: forwarded only (the platform alone can answer / act): fail with E5023 when it is down
FORWARD_ONLY = frozenset({
    "getEBillPicUrl", "getEBillNotifyPic", "getEBillAccountStatus", "getPaperBillNo",
    "getBillStockOutList", "getValidBillNo", "getValidBillBatchCode", "getElectBilllListTotal",
    "invoicePayMentVoucher", "writeOffPayMentVoucher", "cancelPayMentVoucherBalance",
    "invalidPayMentVoucherPaper", "testServerConnect", "getEBillLayoutFile",
})

#: the spec §17 extensions: the server's own, refused to HIS
EXTENSIONS = frozenset({"emergencyStockOut", "emergencyStockReturn", "uploadEmergencyEBill"})

ALL_HIS_METHODS = (frozenset(ISSUE_METHODS) | frozenset(BATCH_METHODS) | BILL_CHANGES | OTHER_CHANGES
                   | RECONCILE | LOCAL_QUERIES | FORWARD_ONLY)
