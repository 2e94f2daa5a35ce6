"""Field tables of the issuing requests (spec §3.1-3.3, §4), V3.2.0 names.

Older names still sent by real HIS are normalised in the ``prepare`` hooks (spec §2.1):

* outpatient / registration / check-up: V3.1 ``category`` (dept name) + ``patientCategory``
  (dept code) become V3.2 ``patientCategory`` (name) + ``patientCategoryCode`` (code). The old
  layout is recognised by ``category`` being present without ``patientCategoryCode``.
  (Inpatient ``category``/``categoryCode`` is the V3.2 admission dept and is left alone.)
* the nine V3.1 prepayment money fields: ``chequePay``/``transferAccountPay`` are folded into
  ``cashPay`` (预缴金额), ``chequeRecharge``/``transferRecharge`` into ``cashRecharge``,
  ``chequeRefund``/``transferRefund`` into ``cashRefund`` — V3.2 keeps one total per purpose,
  whatever the means of payment. A bad old amount is reported at its own path (E1004).
* V2.0.3 ``yyyy-MM-dd`` visit dates (consultationDate, inHospitalDate, outHospitalDate) become
  ``yyyyMMdd``.
* ``sex`` as GB/T 2261.1 digits (``1`` 男, ``2`` 女) becomes the V3.1+ text.
* anything else unknown (``payMentVoucher[].voucherAmt``, outpatient ``isArrears`` ...) is dropped.

Lengths count characters. Fields added by the 2025 cross-province reimbursement revision
(seed 000 item 14: realTimeSettlement, linkBillID, drgCode, drgName on the header; tradeName,
manufacturer, drugTraceabilityCode on list lines) are accepted as optional.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from billing_core import codes
from billing_core.bills import rules
from billing_core.bills.fields import (
    Field,
    Issues,
    Schema,
    amount,
    choice,
    code,
    date8,
    datetime17,
    integer,
    is_missing,
    join,
    objects,
    text,
)
from billing_core.errors import ValidationIssue
from billing_core.money import MoneyError, parse_amount

MAX_BATCH = 200  # spec §4: at most 200 bills per batch call

# A-1 chargeDetail
CHARGE_DETAIL = Schema((
    integer("sortNo", "序号", required=True, min_value=1),
    code("chargeCode", "收费项目代码", 50, required=True),
    text("chargeName", "收费项目名称", 100, required=True),
    text("unit", "计量单位", 20),
    amount("std", "收费标准", required=True),
    amount("number", "数量", required=True),
    amount("amt", "金额", required=True),
    amount("selfAmt", "自费金额", required=True),
    text("remark", "备注", 200),
))
# invoiceEBillCommon has no selfAmt (spec §4).
COMMON_CHARGE_DETAIL = CHARGE_DETAIL.extend(drop=("selfAmt",))

# A-2 listDetail: std/amt/selfAmt/receivableAmt N14,4, number N14,2 since V3.2.0 (spec §2).
LIST_DETAIL = Schema((
    text("listDetailNo", "明细流水号", 60),
    code("chargeCode", "收费项目代码", 50),
    text("chargeName", "收费项目名称", 100),
    text("prescribeCode", "处方编码", 60),
    text("listTypeCode", "药品类别编码", 50),
    text("listTypeName", "药品类别名称", 50),
    text("code", "编码", 50),
    text("name", "药品名称", 50, required=True),
    text("form", "剂型", 50),
    text("specification", "规格", 50),
    text("unit", "计量单位", 20),
    amount("std", "单价", required=True, places=4),
    amount("number", "数量", required=True),
    amount("amt", "金额", required=True, places=4),
    amount("selfAmt", "自费金额", required=True, places=4),
    amount("receivableAmt", "应收费用", places=4),
    choice("medicalCareType", "医保药品分类", codes.MEDICAL_CARE_TYPE),
    text("medCareItemType", "医保项目类型", 100),
    amount("medReimburseRate", "医保报销比例", places=2, digits=3),
    text("remark", "备注", 200),
    integer("sortNo", "序号", min_value=1),
    text("chrgtype", "费用类型", 50),
    text("tradeName", "药品商品名", 200),
    text("manufacturer", "药械生产厂家", 200),
    text("drugTraceabilityCode", "药品溯源码", 100),
))
# A-3 otherInfo, A-4 otherMedicalList (lengths of A-4 not in the spec summary: taken as A-3's [I]).
OTHER_INFO = Schema((
    integer("infoNo", "序号", required=True, min_value=1),
    text("infoName", "扩展信息名称", 100, required=True),
    text("infoValue", "扩展信息值", 500, required=True),
))
OTHER_MEDICAL = Schema((
    integer("infoNo", "序号", required=True, min_value=1),
    text("infoName", "信息名称", 100, required=True),
    text("infoValue", "信息值", 500, required=True),
    text("infoOther", "其它信息", 500),
))
# A-5 payChannelDetail, A-6 payMentVoucher
PAY_CHANNEL = Schema((
    code("payChannelCode", "交费渠道编码", 10, required=True),
    amount("payChannelValue", "交费渠道金额", required=True),
))
PAY_MENT_VOUCHER = Schema((
    text("voucherBatchCode", "预交金凭证代码", 50, required=True),
    text("voucherNo", "预交金凭证号码", 20, required=True),
))

_SEX_DIGITS = {"1": "男", "2": "女"}
_FOLDS = {
    "cashPay": ("chequePay", "transferAccountPay"),
    "cashRecharge": ("chequeRecharge", "transferRecharge"),
    "cashRefund": ("chequeRefund", "transferRefund"),
}
_DATES = ("consultationDate", "inHospitalDate", "outHospitalDate")


def _prepare_common(obj: dict[str, Any], path: str) -> tuple[dict[str, Any], Issues]:
    """Version-independent renames shared by every issuing type (see module docstring)."""
    issues: Issues = []
    sex = obj.get("sex")
    if isinstance(sex, str | int) and not isinstance(sex, bool) and str(sex) in _SEX_DIGITS:
        obj["sex"] = _SEX_DIGITS[str(sex)]
    for name in _DATES:
        value = obj.get(name)
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, flags=re.ASCII):
            obj[name] = value.replace("-", "")
    for target, olds in _FOLDS.items():
        present = [o for o in olds if not is_missing(obj.get(o))]
        if not present:
            continue
        total = Decimal(0)
        ok = True
        for name in [target, *present]:
            if is_missing(obj.get(name)):
                continue
            try:
                total += parse_amount(obj[name], field=f"{name}（V3.1预交金额）")
            except MoneyError as exc:
                issues.append(ValidationIssue(exc.code, join(path, name), exc.message))
                ok = False
        if ok:
            obj[target] = total
    return obj, issues


def _prepare_visit_dept(obj: dict[str, Any], path: str) -> tuple[dict[str, Any], Issues]:
    """Outpatient, registration, check-up: V3.1 category/patientCategory -> V3.2 names."""
    obj, issues = _prepare_common(obj, path)
    if "category" in obj and "patientCategoryCode" not in obj:
        old_code = obj.pop("patientCategory", None)
        obj["patientCategory"] = obj.pop("category")
        if old_code is not None:
            obj["patientCategoryCode"] = old_code
    return obj, issues


def _f(name: str) -> Field:
    return _HEADER_BY_NAME[name]


# §3.1 outpatient, in spec order.
_OUTPATIENT_FIELDS: tuple[Field, ...] = (
    text("busNo", "业务流水号", 50, required=True),
    code("busType", "业务标识", 20, required=True),
    text("payer", "患者姓名", 100, required=True),
    datetime17("busDateTime", "业务发生时间", required=True),
    code("placeCode", "开票点编码", 50, required=True),
    text("payee", "收费员", 50, required=True),
    text("author", "票据编制人", 100, required=True),
    text("checker", "票据复核人", 100),
    amount("totalAmt", "开票总金额", required=True),
    text("remark", "备注", 200),
    text("alipayCode", "支付宝用户号", 100),
    text("weChatOrderNo", "微信支付订单号", 100),
    text("weChatMedTransNo", "微信医保支付订单号", 100),
    text("openID", "微信用户标识", 60),
    text("tel", "手机号码", 13, fmt="tel"),
    text("email", "电子邮箱", 100, fmt="email"),
    choice("payerType", "交款人类型", codes.PAYER_TYPE, required=True),
    text("idCardType", "证件类型", 20),
    text("idCardNo", "证件号码", 20),
    code("cardType", "卡类型", 10, required=True),
    text("cardNo", "卡号", 50, required=True),
    text("medicalInstitution", "医疗机构类型", 60),
    text("medCareInstitution", "医保机构编码", 60),
    text("medCareTypeCode", "医保类型编码", 60),
    text("medicalCareType", "医保类型名称", 60),
    text("medicalInsuranceID", "患者医保编号", 60),
    date8("consultationDate", "就诊日期"),
    text("patientCategory", "就诊科室", 60),
    text("patientCategoryCode", "就诊科室编码", 60),
    text("patientNo", "患者就诊编号", 20, required=True),
    text("patientId", "患者唯一ID", 50),
    choice("sex", "性别", codes.SEX, required=True),
    text("age", "年龄", 10, required=True),
    text("caseNumber", "病历号", 50),
    text("ICD", "疾病编码", 20),
    text("specialDiseasesName", "特殊病种名称", 200),
    amount("accountPay", "个人账户支付", required=True),
    amount("fundPay", "医保统筹基金支付", required=True),
    amount("otherfundPay", "其它医保支付", required=True),
    amount("ownPay", "自费金额", required=True),
    amount("selfConceitedAmt", "个人自负", required=True),
    amount("selfPayAmt", "个人自付", required=True),
    amount("selfCashPay", "个人现金支付", required=True),
    amount("cashPay", "预缴金额"),
    amount("cashRecharge", "补缴金额"),
    amount("cashRefund", "退费金额"),
    amount("ownAcBalance", "个人账户余额"),
    amount("reimbursementAmt", "报销总金额"),
    text("balancedNumber", "医保结算号", 100),
    objects("otherInfo", "其它扩展信息", OTHER_INFO),
    objects("otherMedicalList", "其它医保信息", OTHER_MEDICAL),
    objects("payChannelDetail", "交费渠道", PAY_CHANNEL, required=True),
    text("eBillRelateNo", "业务票据关联号", 32),
    objects("chargeDetail", "收费项目明细", CHARGE_DETAIL, required=True, empty_code=rules.ZERO_CHARGE),
    objects("listDetail", "清单项目明细", LIST_DETAIL, required=True),
    # 2025 cross-province revision (seed 000 item 14), optional here.
    text("realTimeSettlement", "是否实时结算", 10),
    text("linkBillID", "关联账单ID", 50),
    text("drgCode", "DRG编码", 50),
    text("drgName", "DRG名称", 200),
)
_HEADER_BY_NAME = {f.name: f for f in _OUTPATIENT_FIELDS}

_BILL_RULES = (
    rules.charge_sum(), rules.channel_sum(), rules.charge_lines, rules.list_groups, rules.insurance,
    rules.unique("chargeDetail", "sortNo", "序号"), rules.unique("listDetail", "sortNo", "序号", extra=True),
    # a real HIS numbers every otherInfo row "1": the spec says only infoNo Int R (§3.3 A-3)
    rules.unique("otherInfo", "infoNo", "序号", extra=True),
)

OUTPATIENT = Schema(_OUTPATIENT_FIELDS, _prepare_visit_dept, _BILL_RULES)

_ARREARS = (
    choice("isArrears", "是否可流通", codes.IS_ARREARS, required=True),
    text("arrearsReason", "不可流通原因", 200),
)

# §3.2 inpatient
HOSPITALIZED = OUTPATIENT.extend(
    text("category", "入院科室", 60),
    text("categoryCode", "入院科室编码", 60),
    text("leaveCategory", "出院科室", 60),
    text("leaveCategoryCode", "出院科室编码", 60),
    text("hospitalNo", "住院号", 20, required=True),
    text("visitNo", "住院就诊编号", 20, required=True),
    text("hospitalArea", "病区", 60),
    text("bedNo", "床号", 20),
    date8("inHospitalDate", "入院日期"),
    date8("outHospitalDate", "出院日期"),
    amount("hospitalDays", "住院天数", digits=6),
    objects("payMentVoucher", "预交金凭证", PAY_MENT_VOUCHER),
    *_ARREARS,
    drop=("patientCategory", "patientCategoryCode", "specialDiseasesName"),
    required=("checker",),
    optional=("patientNo",),
    prepare=_prepare_common,
    rules=_BILL_RULES + (rules.date_order("inHospitalDate", "outHospitalDate"),),
)

# §3.2 registration
REGISTRATION = OUTPATIENT.extend(
    *_ARREARS,
    drop=("caseNumber", "specialDiseasesName"),
    required=("checker", "reimbursementAmt"),
    optional=("patientNo",),
)

# §3.2 check-up
CHECKUP = OUTPATIENT.extend(
    text("checkUpNo", "体检号", 20),
    objects("payMentVoucher", "预交金凭证", PAY_MENT_VOUCHER),
    required=("checker",),
    optional=("patientNo", "sex"),
)

# §4 invoiceEBillCommon: 往来票 / 捐赠票 / 非税通用票
COMMON = Schema(
    tuple(_f(n) for n in (
        "busNo", "busType", "payer", "busDateTime", "placeCode", "payee", "author", "checker", "totalAmt",
        "remark", "alipayCode", "weChatOrderNo", "weChatMedTransNo", "openID", "tel", "email", "payerType",
        "idCardType", "idCardNo", "sex", "age",
    )) + (
        objects("payChannelDetail", "交费渠道", PAY_CHANNEL, required=True),
        objects("otherInfo", "其它扩展信息", OTHER_INFO),
        objects("chargeDetail", "收费项目明细", COMMON_CHARGE_DETAIL, required=True,
                empty_code=rules.ZERO_CHARGE),
    ),
    _prepare_common,
    (rules.charge_sum(), rules.channel_sum(), rules.charge_lines,
     rules.unique("chargeDetail", "sortNo", "序号"),
     rules.unique("otherInfo", "infoNo", "序号", extra=True)),
).extend(required=("checker",))

#: Bill type name -> schema (also the ``billType`` values of uploadEmergencyEBill, spec §17).
BILL_SCHEMAS: dict[str, Schema] = {
    "outpatient": OUTPATIENT,
    "hospitalized": HOSPITALIZED,
    "registration": REGISTRATION,
    "checkup": CHECKUP,
    "common": COMMON,
}


def batch_schema(bill: Schema) -> Schema:
    """The batch wrapper ``{batchNo, eBillList ≤ 200}`` of a bill schema (spec §4)."""
    return Schema(
        (
            text("batchNo", "批次号", 60, required=True),
            objects("eBillList", "电子票据列表", bill, required=True, max_items=MAX_BATCH),
        ),
        rules=(rules.unique("eBillList", "busNo", "业务流水号"),),
    )
