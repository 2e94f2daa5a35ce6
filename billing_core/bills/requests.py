"""Field tables of the non-issuing requests: write-off, queries, paper, stock, notices,
reconciliation, prepayment vouchers, connectivity, and our emergency extensions (spec §5-§10, §17).
"""

from __future__ import annotations

import re
from typing import Any

from billing_core import codes
from billing_core.bills import rules
from billing_core.bills.fields import (
    BAD_FORMAT,
    FORMATS,
    Issues,
    Schema,
    amount,
    choice,
    code,
    date10,
    datetime17,
    integer,
    join,
    objects,
    switch,
    text,
)
from billing_core.bills.issuing import BILL_SCHEMAS, PAY_CHANNEL
from billing_core.errors import ValidationIssue

MAX_PAGE_SIZE = 200  # spec §2: pageSize ≤ 200, pageNo from 1

BILL_BATCH_CODE = text("billBatchCode", "电子票据代码", 50, required=True)
BILL_NO = text("billNo", "电子票据号码", 20, required=True)
RANDOM = text("random", "电子校验码", 20, required=True)
BUS_DATE_TIME = datetime17("busDateTime", "业务发生时间", required=True)
PLACE_CODE = code("placeCode", "开票点编码", 50, required=True)
OPT_PLACE_CODE = code("placeCode", "开票点编码", 50)
P_BILL_BATCH_CODE = code("pBillBatchCode", "纸质票据代码", 50, required=True)
P_BILL_NO = text("pBillNo", "纸质票据号码", 20, required=True)
PAGE_NO = integer("pageNo", "页码", required=True, min_value=1)
PAGE_SIZE = integer("pageSize", "每页条数", required=True, min_value=1, max_value=MAX_PAGE_SIZE)
REASON = text("reason", "原因", 200, required=True)
OPERATOR = text("operator", "经办人", 60, required=True)
AUTHOR = text("author", "经办人", 100, required=True)

BILL_KEY = Schema((BILL_BATCH_CODE, BILL_NO))
BILL_KEY_RANDOM = Schema((BILL_BATCH_CODE, BILL_NO, RANDOM))

# §5 write-off
WRITE_OFF = Schema((BILL_BATCH_CODE, BILL_NO, REASON, OPERATOR, BUS_DATE_TIME, PLACE_CODE))
WRITE_OFF_TO_PAPER = WRITE_OFF.extend(P_BILL_BATCH_CODE, P_BILL_NO)

# §5 queries
# The spec lists busNo here as S32 but issuing accepts S50 (§3.1): the idempotency lookup must
# find every bill that issuing accepted, so the issuing length applies. (Keep busNo ≤ 32 when
# talking to a real platform, in case it enforces S32.)
GET_BY_BUS_NO = Schema((text("busNo", "业务流水号", 50, required=True), BUS_DATE_TIME))
GET_PIC_URL = BILL_KEY_RANDOM.extend(choice("channelMode", "展示渠道", codes.CHANNEL_MODE, required=True))
GET_NOTIFY_PIC = BILL_KEY.extend(choice("isReturnPic", "是否返回图片", codes.IS_RETURN_PIC, required=True))
GET_ACCOUNT_STATUS = BILL_KEY_RANDOM.extend(datetime17("createTime", "开票时间", required=True))
ARREARS_FEEDBACK = BILL_KEY.extend(date10("feedBackDate", "反馈日期", required=True))

_BUS_RANGE = (
    datetime17("busBgnDate", "业务开始时间", required=True),
    datetime17("busEndDate", "业务结束时间", required=True),
)
_PATIENT_QUERY = (
    code("busType", "业务标识", 20),
    code("cardType", "卡类型", 10, required=True),
    text("cardNo", "卡号", 50, required=True),
    text("idCardNo", "证件号码", 20),
    text("patientId", "患者唯一ID", 50),
    PAGE_NO,
    PAGE_SIZE,
)
UNPRINT_LIST = Schema(_BUS_RANGE + _PATIENT_QUERY, rules=(rules.date_order("busBgnDate", "busEndDate"),))
NOT_PRINT_LIST = UNPRINT_LIST.extend(optional=("cardType", "cardNo"))
# getEBillPrintList: the range is at most one week (spec §5).
PRINT_LIST = Schema(_BUS_RANGE + (OPT_PLACE_CODE,) + _PATIENT_QUERY,
                    rules=(rules.date_order("busBgnDate", "busEndDate", max_days=7),))

# receiveListDetail (V2.0.3 only): std/number N16,6; amt N14,2 (spec §5).
RECEIVE_LIST_LINE = Schema((
    text("chrgtype", "费用类型", 50),
    text("prescribeCode", "处方编码", 60),
    text("listTypeCode", "药品类别编码", 50),
    text("code", "编码", 50),
    text("name", "药品名称", 50, required=True),
    text("form", "剂型", 50),
    text("specification", "规格", 50),
    text("unit", "计量单位", 20),
    amount("std", "单价", required=True, places=6, digits=16),
    amount("number", "数量", required=True, places=6, digits=16),
    amount("amt", "金额", required=True),
    amount("selfAmt", "自费金额"),
    choice("medicalCareType", "医保药品分类", codes.MEDICAL_CARE_TYPE),
    text("medCareItemType", "医保项目类型", 100),
    amount("medReimburseRate", "医保报销比例", places=2, digits=3),
    text("remark", "备注", 200),
))
RECEIVE_LIST_DETAIL = Schema((
    integer("batchNo", "批次序号", required=True, min_value=1),
    BILL_BATCH_CODE,
    BILL_NO,
    objects("listDetail", "清单项目明细", RECEIVE_LIST_LINE, required=True, max_items=200),
))

# §7 paper
GET_PAPER_NO = Schema((PLACE_CODE, P_BILL_BATCH_CODE))
TURN_PAPER = Schema((BILL_BATCH_CODE, BILL_NO, P_BILL_BATCH_CODE, P_BILL_NO, BUS_DATE_TIME, PLACE_CODE, OPERATOR))
INVALID_PAPER = Schema((
    P_BILL_BATCH_CODE,
    text("pBillNo", "纸质票据号码", 50, required=True),
    PLACE_CODE,
    AUTHOR,
    text("reason", "作废原因", 250, required=True),
    BUS_DATE_TIME,
))
INVALID_BLANK = Schema(
    (
        P_BILL_BATCH_CODE,
        text("pBillNoStart", "起始号码", 20, required=True, fmt="digits"),
        text("pBillNoEnd", "终止号码", 20, required=True, fmt="digits"),
        PLACE_CODE,
        AUTHOR,
        text("reason", "作废原因", 250, required=True),
        BUS_DATE_TIME,
    ),
    rules=(rules.number_order("pBillNoStart", "pBillNoEnd"),),
)

# §8 stock
STOCK_RANGE = Schema(
    (
        code("billCode", "票据种类编码", 50, required=True),
        text("billBatchCode", "票据代码", 50, required=True),
        integer("copyNum", "份数", required=True, min_value=1),
        text("billBgnNo", "起始号码", 20, required=True, fmt="digits"),
        text("billEndNo", "终止号码", 20, required=True, fmt="digits"),
    ),
    rules=(rules.number_order("billBgnNo", "billEndNo", "copyNum"),),
)
STOCK_OUT = Schema((
    PLACE_CODE,
    text("operator", "领用人", 60, required=True),
    text("remark", "备注", 200),
    objects("billNoList", "号段列表", STOCK_RANGE, required=True),
))
STOCK_RETURN = Schema((
    PLACE_CODE,
    text("returner", "退回人", 60, required=True),
    text("reason", "退回原因", 200, required=True),
    text("remark", "备注", 200),
    objects("billNoList", "号段列表", STOCK_RANGE, required=True),
))
STOCK_OUT_LIST = Schema(
    (OPT_PLACE_CODE, date10("bgnDate", "开始日期", required=True), date10("endDate", "结束日期", required=True)),
    rules=(rules.date_order("bgnDate", "endDate"),),
)
VALID_BILL_NO = Schema((PLACE_CODE, code("billCode", "票据种类编码", 50), text("billBatchCode", "票据代码", 50)))
VALID_BATCH_CODE = Schema((PLACE_CODE,))


# §9 notices: the value must suit its type (mobile number / e-mail); ours, not the spec's (extra).
def _notice_value(item: dict[str, Any], path: str) -> Issues:
    kind, value = item.get("noticeType"), item.get("noticeValue")
    if kind is None or value is None:
        return []
    fmt = "tel" if kind == "1201" else "email"
    if not re.fullmatch(FORMATS[fmt][0], value, flags=re.ASCII):
        return [ValidationIssue(BAD_FORMAT, join(path, "noticeValue"),
                                f"noticeValue（通知内容）格式错误，应为{FORMATS[fmt][2]}，收到“{value}”",
                                extra=True)]
    return []


NOTICE = Schema(
    (choice("noticeType", "通知类型", codes.NOTICE_TYPE, required=True),
     text("noticeValue", "通知内容", 100, required=True)),
    rules=(_notice_value,),
)
SEND_NOTICE = BILL_KEY.extend(objects("noticeList", "通知列表", NOTICE, required=True))

# §10 reconciliation
_RECON_TAIL = (choice("isReturnList", "是否返回号段列表", codes.IS_RETURN_LIST), PAGE_NO, PAGE_SIZE)


def _recon(date_field: str, label: str, place_required: bool) -> Schema:
    return Schema((
        date10(date_field, label, required=True),
        code("busType", "业务标识", 20, required=place_required),
        code("placeCode", "开票点编码", 50, required=place_required),
        *_RECON_TAIL,
    ))


BILL_LIST_BY_DATE = Schema(
    _BUS_RANGE + (OPT_PLACE_CODE, choice("dataType", "数据类型", codes.DATA_TYPE), PAGE_NO, PAGE_SIZE),
    rules=(rules.date_order("busBgnDate", "busEndDate"),),
)

# §6 prepayment vouchers
INVOICE_VOUCHER = Schema(
    (
        code("busType", "业务标识", 20, required=True),
        text("busNo", "业务流水号", 50, required=True),
        text("payer", "交款人", 100, required=True),
        BUS_DATE_TIME,
        PLACE_CODE,
        text("payee", "收款人", 50, required=True),
        text("drawee", "缴款人", 100),
        text("author", "票据编制人", 100, required=True),
        text("tel", "手机号码", 13, fmt="tel"),
        text("email", "电子邮箱", 100, fmt="email"),
        text("idCardNo", "证件号码", 20),
        code("cardType", "卡类型", 10, required=True),
        text("cardNo", "卡号", 50, required=True),
        amount("amt", "预交金额", required=True),
        amount("ownAcBalance", "预交前余额", required=True),
        text("category", "入院科室", 60, required=True),
        text("categoryCode", "入院科室编码", 60, required=True),
        date10("inHospitalDate", "入院日期", required=True),
        text("hospitalNo", "住院号", 20, required=True),
        text("visitNo", "住院就诊编号", 20, required=True),
        text("patientId", "患者唯一ID", 50),
        text("patientNo", "患者就诊编号", 20),
        text("caseNumber", "病历号", 50),
        objects("payChannelDetail", "交费渠道", PAY_CHANNEL, required=True),
        text("accountName", "银行账户名称", 100),
        text("accountNo", "银行账号", 50),
        text("accountBank", "开户银行", 100),
        text("remark", "备注", 600),
        text("workUnit", "工作单位", 200),
    ),
    rules=(rules.channel_sum("amt"),),
)
WRITE_OFF_VOUCHER = Schema((
    code("busType", "业务标识", 20, required=True),
    text("billBatchCode", "电子票据代码", 50),
    text("billNo", "电子票据号码", 20),
    REASON,
    OPERATOR,
    BUS_DATE_TIME,
    PLACE_CODE,
    text("voucherBatchCode", "预交金凭证代码", 50, required=True),
    text("voucherNo", "预交金凭证号码", 20, required=True),
    amount("amt", "退款金额", required=True),
    amount("ownAcBalance", "退款前余额", required=True),
    text("remark", "备注", 200),
))
CANCEL_VOUCHER_BALANCE = Schema((
    BILL_BATCH_CODE, BILL_NO, REASON, OPERATOR, BUS_DATE_TIME, PLACE_CODE,
    text("patientId", "患者唯一ID", 50),
    text("hospitalNo", "住院号", 20, required=True),
    text("remark", "备注", 200),
))
INVALID_VOUCHER_PAPER = Schema((P_BILL_BATCH_CODE, P_BILL_NO, PLACE_CODE, AUTHOR, REASON, BUS_DATE_TIME))

TEST_CONNECT = Schema((text("testValue", "测试值", 100),))
GET_BATCH = Schema((text("batchNo", "批次号", 60, required=True),))

# §17 emergency extensions
EMERGENCY_STOCK_OUT = Schema((
    PLACE_CODE,
    code("billCode", "票据种类编码", 50),
    integer("count", "申请张数", required=True, min_value=1, max_value=100000),
    text("operator", "经办人", 60, required=True),
    text("remark", "备注", 200),
))
EMERGENCY_STOCK_RETURN = Schema(
    (
        PLACE_CODE,
        BILL_BATCH_CODE,
        text("billBgnNo", "起始号码", 20, required=True, fmt="digits"),
        text("billEndNo", "终止号码", 20, required=True, fmt="digits"),
        text("reason", "退回原因", 200, required=True),
    ),
    rules=(rules.number_order("billBgnNo", "billEndNo"),),
)


UPLOAD_EMERGENCY = Schema(
    (
        choice("billType", "票据类型", tuple(BILL_SCHEMAS), required=True),
        switch("bill", "票据内容", "billType", BILL_SCHEMAS, required=True),
        BILL_BATCH_CODE,
        BILL_NO,
        RANDOM,
        datetime17("issueTime", "离线开票时间", required=True),
        text("terminalId", "终端编号", 50, required=True),
        text("signValue", "SM2签名值", 512, fmt="hex"),
    ),
)
