"""The e-bill content of each settlement, in the finance platform's issue-request shape
(specs/finance_platform.md §3, §15; validated by ``billing_core.bills.validate_request``).

``busNo`` is the settlement number, so the platform's busNo idempotency and the HIS's settlement
are one key. ``placeCode`` is the HIS's configured billing point when issuing itself, else empty:
the terminal that issues fills in its own. ``payee``/``author``/``checker`` are the caller's
display name (a terminal may replace them with the logged-in operator).

Self-pay: every insurance part is 0, ``ownPay = selfCashPay = totalAmt``, so
Σ chargeDetail.amt = totalAmt = Σ payChannelDetail.payChannelValue. An insured settlement (an
outpatient one or a discharge) is settled with the insurance platform first; the caller passes
its parts and :func:`insured` fills the insurance fields (pay channels YBTCJJ, YBK + the rest).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from billing_core import methods
from billing_core.clock import date8, date10, ts17
from simulators.his.people import age_on, yuan

ZERO = "0.00"


def card_of(patient: dict[str, Any]) -> tuple[str, str]:
    """(cardType, cardNo): hospital card 3101, else social-security card 1102, else ID card 1101."""
    if patient.get("hospital_card"):
        return "3101", str(patient["hospital_card"])
    if patient.get("ss_card"):
        return "1102", str(patient["ss_card"])
    return "1101", str(patient["id_no"])


def _header(no: str, bus_type: str, patient: dict[str, Any], now: datetime, total_fen: int,
            staff: str, place_code: str) -> dict[str, Any]:
    card_type, card_no = card_of(patient)
    return {
        "busNo": no, "busType": bus_type, "payer": patient["name"], "busDateTime": ts17(now),
        "placeCode": place_code, "payee": staff, "author": staff, "totalAmt": yuan(total_fen),
        "tel": patient["phone"], "payerType": "1", "idCardType": "居民身份证", "idCardNo": patient["id_no"],
        "cardType": card_type, "cardNo": card_no, "patientId": patient["id"], "sex": patient["sex"],
        "age": str(age_on(patient["birth"], now.date())),
        "accountPay": ZERO, "fundPay": ZERO, "otherfundPay": ZERO, "ownPay": yuan(total_fen),
        "selfConceitedAmt": ZERO, "selfPayAmt": ZERO, "selfCashPay": yuan(total_fen),
    }


def _details(no: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {}
    for it in items:
        g = groups.setdefault(it["chargeCode"], {"name": it["chargeName"], "fen": 0})
        g["fen"] += it["amountFen"]
    charge = [{"sortNo": i, "chargeCode": code, "chargeName": g["name"], "unit": "项", "std": yuan(g["fen"]),
               "number": "1", "amt": yuan(g["fen"]), "selfAmt": yuan(g["fen"])}
              for i, (code, g) in enumerate(groups.items(), 1)]
    lines = [{"sortNo": i, "listDetailNo": f"{no}-{i}", "chargeCode": it["chargeCode"], "chargeName": it["chargeName"],
              "prescribeCode": it.get("chargeId", ""), "listTypeName": it.get("listType", ""), "code": it["code"],
              "name": it["name"], "specification": it.get("spec", ""), "unit": it.get("unit", ""),
              "std": yuan(it["priceFen"]), "number": str(it["qty"]), "amt": yuan(it["amountFen"]),
              "selfAmt": yuan(it["amountFen"])}
             for i, it in enumerate(items, 1)]
    return {"chargeDetail": charge, "listDetail": lines}


def _channels(channels: list[tuple[str, int]]) -> list[dict[str, str]]:
    return [{"payChannelCode": code, "payChannelValue": yuan(fen)} for code, fen in channels if fen > 0]


def insured(bill: dict[str, Any], total: int, channels: list[tuple[str, int]],
            insurance: dict[str, Any]) -> dict[str, Any]:
    """``bill`` with the insurance fields of an insured settlement (fen: fund, other, account;
    setlId, psnNo, insuplcAdmdvs): the self-pay part is what the insurance did not pay."""
    fund, other, account = insurance["fund"], insurance["other"], insurance["account"]
    own = total - fund - other - account
    return bill | {"fundPay": yuan(fund), "otherfundPay": yuan(other), "accountPay": yuan(account),
                   "selfCashPay": yuan(own), "ownPay": ZERO, "selfPayAmt": yuan(own),
                   "medicalInsuranceID": insurance["psnNo"], "balancedNumber": insurance["setlId"],
                   "medCareInstitution": insurance["insuplcAdmdvs"],
                   "payChannelDetail": _channels([("YBTCJJ", fund + other), ("YBK", account), *channels])}


def outpatient(no: str, patient: dict[str, Any], now: datetime, items: list[dict[str, Any]],
               channels: list[tuple[str, int]], dept: tuple[str, str], staff: str, place_code: str,
               prepay_fen: int = 0, insurance: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """invoiceEBillOutpatient (busType 02) of an outpatient settlement or a card fee; ``insurance``
    (see :func:`insured`) fills the insurance fields of an insured one."""
    total = sum(it["amountFen"] for it in items)
    bill = _header(no, "02", patient, now, total, staff, place_code) | _details(no, items) | {
        "patientNo": no[:20], "consultationDate": date8(now), "patientCategory": dept[1],
        "patientCategoryCode": dept[0], "payChannelDetail": _channels(channels)}
    if prepay_fen:
        bill["cashPay"] = yuan(prepay_fen)
    if insurance:
        bill = insured(bill, total, channels, insurance)
    return methods.INVOICE_EBILL_OUTPATIENT, bill


def registration(no: str, patient: dict[str, Any], now: datetime, items: list[dict[str, Any]],
                 channels: list[tuple[str, int]], dept: tuple[str, str], visit_day: date, appointment_no: str,
                 staff: str, place_code: str) -> tuple[str, dict[str, Any]]:
    """invEBillRegistration (busType 06) of a registration or booked appointment."""
    total = sum(it["amountFen"] for it in items)
    bill = _header(no, "06", patient, now, total, staff, place_code) | _details(no, items) | {
        "checker": staff, "reimbursementAmt": ZERO, "isArrears": "0", "patientNo": appointment_no[:20],
        "consultationDate": date8(visit_day), "patientCategory": dept[1], "patientCategoryCode": dept[0],
        "payChannelDetail": _channels(channels)}
    return methods.INV_EBILL_REGISTRATION, bill


def hospitalized(no: str, patient: dict[str, Any], now: datetime, items: list[dict[str, Any]],
                 channels: list[tuple[str, int]], stay: dict[str, Any], dept: tuple[str, str], staff: str,
                 place_code: str, parts: tuple[int, int, int],
                 insurance: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """invEBillHospitalized (busType 01) of a discharge settlement; ``parts`` = (deposit used,
    paid on top, surplus deposit to refund); ``insurance`` (fen: fund, other, account; setlId,
    psnNo, insuplcAdmdvs) fills the insurance fields of an insured discharge."""
    total = sum(it["amountFen"] for it in items)
    admitted = date.fromisoformat(stay["admitted_on"])
    bill = _header(no, "01", patient, now, total, staff, place_code) | _details(no, items) | {
        "checker": staff, "hospitalNo": stay["admission_no"], "visitNo": no[:20], "category": dept[1],
        "categoryCode": dept[0], "leaveCategory": dept[1], "leaveCategoryCode": dept[0],
        "hospitalArea": stay["ward"], "bedNo": stay["bed"], "inHospitalDate": date8(admitted),
        "outHospitalDate": date8(now), "hospitalDays": str(max((now.date() - admitted).days, 1)),
        "isArrears": "0", "cashPay": yuan(parts[0]), "cashRecharge": yuan(parts[1]), "cashRefund": yuan(parts[2]),
        "payChannelDetail": _channels(channels)}
    if insurance:
        bill = insured(bill, total, channels, insurance)
    return methods.INV_EBILL_HOSPITALIZED, bill


def voucher(no: str, bus_type: str, patient: dict[str, Any], now: datetime, amount_fen: int, before_fen: int,
            channels: list[tuple[str, int]], category: tuple[str, str], in_day: date, hospital_no: str,
            staff: str, place_code: str) -> tuple[str, dict[str, Any]]:
    """invoicePayMentVoucher: 07 住院预交金 (deposit) or 12 门诊预交金 (prepayment top-up)."""
    card_type, card_no = card_of(patient)
    bill = {"busType": bus_type, "busNo": no, "payer": patient["name"], "busDateTime": ts17(now),
            "placeCode": place_code, "payee": staff, "author": staff, "tel": patient["phone"],
            "idCardNo": patient["id_no"], "cardType": card_type, "cardNo": card_no, "amt": yuan(amount_fen),
            "ownAcBalance": yuan(before_fen), "category": category[1], "categoryCode": category[0],
            "inHospitalDate": date10(in_day), "hospitalNo": hospital_no[:20], "visitNo": no[:20],
            "patientId": patient["id"], "payChannelDetail": _channels(channels)}
    return methods.INVOICE_PAYMENT_VOUCHER, bill
