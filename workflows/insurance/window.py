"""The cashier window's insured checkout (医保结算), Qt-free: what the page types and shows.

:class:`InsuredCheckout` holds the identified person, the fee lines (each with its national list
code for the insurance platform and the hospital's charge item for the e-bill), and the order
being settled; its methods are the page's buttons and each runs the shared
:class:`workflows.insurance.flow.InsuredFlow`. The bill request is built by the window's own
:class:`workflows.cashier.entry.EntryForm` (the same header and charge rules as a self-pay bill);
the flow then writes the insurance parts onto it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from billing_core.clock import Clock, ts17
from offline_store import ins_orders
from offline_store.ins_orders import InsOrder
from workflows.cashier.entry import EntryForm, parse_money_text
from workflows.catalog import Catalog
from workflows.insurance.cash import WindowCash
from workflows.insurance.errors import InsuredFlowError
from workflows.insurance.flow import InsuredFlow
from workflows.insurance.models import CERT_TYPES, FeeLine, InsuredPerson, Split, Visit, yuan

#: Visit kind -> the e-bill kind of workflows.cashier.entry.KINDS.
BILL_KINDS = {"outpatient": "outpatient", "inpatient": "inpatient"}
GENDERS = {"1": "男", "2": "女"}


@dataclass(slots=True)
class InsuredLine:
    """One fee: national list code (insurance), charge item code (e-bill), price and count."""

    med_list_codg: str
    charge_code: str
    name: str
    price: Decimal
    count: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.price * self.count).quantize(Decimal("0.01"))


@dataclass(slots=True)
class InsuredCheckout:
    """One window's insured checkout; the page calls these off the GUI thread."""

    flow: InsuredFlow
    catalog: Catalog
    clock: Clock
    place_code: str
    person: InsuredPerson | None = None
    lines: list[InsuredLine] = field(default_factory=list)
    order: InsOrder | None = None

    # --- entry ---------------------------------------------------------------------------
    def identify(self, cert_type: str, cert_no: str, card_sn: str = "") -> InsuredPerson:
        """1101 for the certificate shown; a new patient clears the previous one's lines."""
        self.person = self.flow.identify(cert_type, cert_no, card_sn)
        self.lines.clear()
        self.order = None
        return self.person

    def add_line(self, med_list_codg: str, charge_code: str, price: str, count: str = "1") -> InsuredLine:
        """A fee line; the charge item must be in the window's catalog (its name is the line's).

        :raises InsuredFlowError: a field is missing or not a number (the message names it).
        """
        if not med_list_codg.strip():
            raise InsuredFlowError("医保目录编码不能为空")
        item = self.catalog.get(charge_code.strip())
        if item is None:
            raise InsuredFlowError(f"收费项目编码“{charge_code}”不存在")
        p, c = parse_money_text(price), parse_money_text(count)
        if p is None or p <= 0:
            raise InsuredFlowError(f"单价“{price}”不是有效金额")
        if c is None or c <= 0:
            raise InsuredFlowError(f"数量“{count}”不是有效数量")
        ln = InsuredLine(med_list_codg.strip(), charge_code.strip(), item.name, p, c)
        self.lines.append(ln)
        return ln

    @property
    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal("0.00"))

    # --- buttons -------------------------------------------------------------------------
    def pre_settle(self, kind: str, dept: str, doctor: str, payee: str, header: dict[str, str] | None = None,
                   diagnosis: tuple[str, str] = ("", "")) -> Split:
        """登记 + 上传费用 + 预结算: the split to show (nothing is paid or settled yet)."""
        person = self._person()
        if not self.lines:
            raise InsuredFlowError("请先录入费用明细")
        if kind == "inpatient" and not diagnosis[0]:
            raise InsuredFlowError("住院结算须填写出院诊断编码")
        now = self.clock.now()
        no = f"{'MZ' if kind == 'outpatient' else 'ZY'}{now:%Y%m%d%H%M%S}"
        visit = Visit(kind, no, "A01", dept or "门诊", doctor or "医生", "D001", med_type="21" if kind == "inpatient" else "",
                      dise_codg=diagnosis[0], dise_name=diagnosis[1])
        fees = [FeeLine(f"F{i}", ln.med_list_codg, f"{ln.charge_code}-{i}", ln.name, ln.price, ln.count, ln.amount)
                for i, ln in enumerate(self.lines, 1)]
        method, base = self._bill(kind, person, no, payee, header or {})
        self.order = self.flow.start(person, visit, fees, method, base)
        return self.split

    def settle(self) -> InsOrder:
        """现金已收，结算: the cash part taken at the window, then settle, e-bill, voucher."""
        self.order = self.flow.pay_and_settle(self._order().order_no, WindowCash())
        return self.order

    def abandon(self) -> InsOrder:
        """放弃医保结算 before the cash was taken: the visit is closed (the patient may pay self-pay)."""
        self.order = self.flow.abandon(self._order().order_no)
        return self.order

    def refund(self, reason: str) -> InsOrder:
        """医保退费 of the last order: bill red, settlement cancelled, cash handed back."""
        self.order = self.flow.refund(self._order().order_no, WindowCash(), reason)
        return self.order

    def resume_all(self) -> list[InsOrder]:
        """继续未完成: every unfinished order of this window, as far as each can go now."""
        out = []
        for o in self.flow.unfinished():
            try:
                out.append(self.flow.resume(o.order_no, WindowCash()))
            except InsuredFlowError:
                out.append(ins_orders.get(self.flow.db, o.order_no))
        return out

    @property
    def split(self) -> Split:
        o = self._order()
        return Split(yuan(o.medfee_fen), yuan(o.fund_fen), yuan(o.account_fen), yuan(o.cash_fen))

    def summary(self) -> dict[str, Any]:
        """What the page shows of the order: state, split, bill, voucher, message."""
        o = self._order()
        return {"orderNo": o.order_no, "state": o.state, "split": self.split.wire(), "bill": dict(o.bill),
                "voucher": o.voucher, "message": o.message, "setlId": o.setl_id}

    # --- helpers -------------------------------------------------------------------------
    def _person(self) -> InsuredPerson:
        if self.person is None:
            raise InsuredFlowError(f"请先读取参保人信息（{'、'.join(CERT_TYPES.values())}）")
        return self.person

    def _order(self) -> InsOrder:
        if self.order is None:
            raise InsuredFlowError("当前没有医保结算单")
        self.order = ins_orders.get(self.flow.db, self.order.order_no)
        return self.order

    def _bill(self, kind: str, person: InsuredPerson, visit_no: str, payee: str,
              header: dict[str, str]) -> tuple[str, dict[str, Any]]:
        form = EntryForm(BILL_KINDS[kind], self.catalog)
        form.header.update({"payer": person.name, "sex": GENDERS.get(person.gend, "未知"), "age": person.age or "0",
                            "card_type": "1102" if person.cert_type == "03" else "1101",
                            "card_no": person.cert_no, "patient_no": visit_no, "hospital_no": visit_no,
                            "checker": payee} | header)
        for ln in self.lines:
            form.add_item(ln.charge_code, ln.count, ln.price)
        form.set_pay("02", form.total)  # replaced by the settlement's channels (workflows.insurance.bill)
        bus_no = f"YB{self.flow.terminal_id[-6:]}{ts17(self.clock.now())}"
        request = form.build_request(bus_no=bus_no, bus_date_time=ts17(self.clock.now()), place_code=self.place_code,
                                     payee=payee)
        return form.bill_kind.method, request
