"""The e-bill of an insured settlement: the caller's base request (charge lines, payer, busNo ...)
with the insurance parts of the settlement (billing_core/bills/rules.py, E1016):

* ``fundPay`` = the fund part (medfee − account − cash: the pooled fund, the other funds and any
  hospital-borne part together, so a region whose fund_pay_sumamt includes the account is not
  counted twice); ``otherfundPay`` 0; ``accountPay`` = acct_pay; ``selfCashPay`` = psn_cash_pay;
* ``payChannelDetail``: YBTCJJ (医保统筹基金), YBK (医保个人账户) and the cash desk's channel;
* ``medicalInsuranceID`` = psn_no, ``balancedNumber`` = setl_id, ``medCareInstitution`` = the
  insured place, ``medicalCareType`` = the insurance type's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from workflows.insurance.errors import InsuredFlowError
from workflows.insurance.models import InsuredPerson, Split, money

FUND_CHANNEL, ACCOUNT_CHANNEL = "YBTCJJ", "YBK"
#: insutype (national code list) -> name on the bill.
INSUTYPE_NAMES = {"310": "职工基本医疗保险", "320": "公务员医疗补助", "330": "大额医疗费用补助",
                  "390": "城乡居民基本医疗保险", "392": "城乡居民大病医疗保险", "510": "生育保险"}


def _w(amount: Decimal) -> str:
    return f"{amount:.2f}"


def insured_request(base: Mapping[str, Any], split: Split, person: InsuredPerson, setl_id: str,
                    cash_channel: str) -> dict[str, Any]:
    """The issuing request: ``base`` with the settlement's parts and pay channels.

    :raises InsuredFlowError: the bill total is not the settlement's medfee.
    """
    total = money(base.get("totalAmt"), "票据总金额")
    if total != split.medfee:
        raise InsuredFlowError(f"票据总金额{total}与医保结算医疗费总额{split.medfee}不一致")
    channels = [(FUND_CHANNEL, split.fund), (ACCOUNT_CHANNEL, split.account), (cash_channel, split.cash)]
    out = dict(base)
    out.update({
        "payChannelDetail": [{"payChannelCode": c, "payChannelValue": _w(v)} for c, v in channels if v > 0],
        "fundPay": _w(split.fund), "otherfundPay": "0.00", "accountPay": _w(split.account),
        "selfCashPay": _w(split.cash), "ownPay": str(base.get("ownPay") or "0.00"),
        "selfConceitedAmt": str(base.get("selfConceitedAmt") or "0.00"),
        "selfPayAmt": str(base.get("selfPayAmt") or _w(split.cash)),
        "medicalInsuranceID": person.psn_no, "balancedNumber": setl_id,
        "medCareInstitution": person.insuplc_admdvs,
        "medicalCareType": INSUTYPE_NAMES.get(person.insutype, person.insutype),
    })
    return out
