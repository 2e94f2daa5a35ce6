"""医保结算 (F8): the insured checkout at the window, a thin page over
:class:`workflows.insurance.window.InsuredCheckout` (docs/INSURANCE.md §13).

读取参保信息 (1101 by e-voucher, ID card or social-security card) -> fee lines (national list code
+ charge item + price + count) -> 预结算 shows 统筹基金 / 个人账户 / 现金 -> the cashier takes the
cash part and presses 现金已收，结算 (settle, e-bill with the insurance fields, voucher queued) ->
医保退费 undoes it in reverse order. The platform down at any step before money: the message
says to pay as self-pay (F1). Every call runs off the GUI thread.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billing_core.errors import BillingError
from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, combo, line
from qt_common.qt import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from qt_common.widgets.money import MoneyLabel
from workflows.insurance.bill import INSUTYPE_NAMES
from workflows.insurance.client import InsuranceApi
from workflows.insurance.flow import InsuredFlow
from workflows.insurance.models import CERT_TYPES, InsuredPerson, Split
from workflows.insurance.window import InsuredCheckout

STATE_TEXT = {"pre_settled": "已预结算，待收现金", "done": "已结算，凭证已提交上传", "billed": "已结算开票，凭证待上传",
              "settling": "结算结果待核实", "abandoned": "已放弃医保结算", "cancelled": "已退费",
              "cancelling": "退费未完成"}


class InsuredPage(QWidget):
    """The insured checkout page."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        s = ctx.services
        flow = InsuredFlow(InsuranceApi(s.sync), s.workflow.db, s.workflow, s.api, desk="cashier",
                           terminal_id=s.window.terminal_id, place_code=s.window.place_code, operator="")
        self.checkout = InsuredCheckout(flow, s.catalog, s.clock, s.window.place_code)
        self._build()

    # --- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        who = QGroupBox("参保人")
        g = QGridLayout(who)
        self.cert_type = combo(list(CERT_TYPES.items()), "insCertType")
        self.cert_type.setCurrentIndex(1)
        self.cert_no = line("凭证号码 / 身份证号 / 社保卡号（可扫码）", "insCertNo")
        self.card_sn = line("社保卡识别码（社保卡必填）", "insCardSn")
        self.read = QPushButton("读取参保信息")
        self.read.setObjectName("insRead")
        self.read.clicked.connect(self.identify)
        self.cert_no.returnPressed.connect(self.identify)
        self.person = QLabel("未读取")
        self.person.setObjectName("insPerson")
        g.addWidget(QLabel("就诊凭证"), 0, 0)
        g.addWidget(self.cert_type, 0, 1)
        g.addWidget(self.cert_no, 0, 2)
        g.addWidget(self.card_sn, 0, 3)
        g.addWidget(self.read, 0, 4)
        g.addWidget(self.person, 1, 0, 1, 5)
        root.addWidget(who)

        fees = QGroupBox("费用明细")
        fv = QVBoxLayout(fees)
        row = QHBoxLayout()
        self.kind = combo([("outpatient", "门诊"), ("inpatient", "住院（出院结算）")], "insKind")
        self.med_code = line("医保目录编码", "insMedCode")
        self.charge = line("收费项目编码", "insCharge")
        self.price = line("单价", "insPrice")
        self.count = line("数量", "insCount")
        self.count.setText("1")
        self.diag = line("出院诊断编码（住院）", "insDiag")
        add = QPushButton("添加")
        add.setObjectName("insAdd")
        add.clicked.connect(self.add_line)
        self.count.returnPressed.connect(self.add_line)
        for w in (self.kind, self.med_code, self.charge, self.price, self.count, self.diag, add):
            row.addWidget(w)
        fv.addLayout(row)
        self.table = BillTable(["医保目录编码", "收费项目", "名称", "单价", "数量", "金额"], stretch=2)
        self.table.setObjectName("insFees")
        fv.addWidget(self.table, 1)
        root.addWidget(fees, 1)

        money = QGroupBox("医保结算（统筹基金 + 个人账户 + 现金 = 医疗费总额）")
        mg = QGridLayout(money)
        self.m_total, self.m_fund, self.m_account, self.m_cash = (MoneyLabel(point_size=16) for _ in range(4))
        self.m_cash.setObjectName("insCash")
        for n, (label, w) in enumerate((("医疗费总额", self.m_total), ("统筹基金支付", self.m_fund),
                                        ("个人账户支付", self.m_account), ("应收现金", self.m_cash))):
            mg.addWidget(QLabel(label), 0, n)
            mg.addWidget(w, 1, n)
        root.addWidget(money)

        acts = QHBoxLayout()
        self.pre = QPushButton("预结算")
        self.pre.setObjectName("insPreSettle")
        self.pre.clicked.connect(self.pre_settle)
        self.go = QPushButton("现金已收，结算")
        self.go.setObjectName("insSettle")
        self.go.clicked.connect(self.settle)
        self.drop = QPushButton("放弃医保结算")
        self.drop.setObjectName("insAbandon")
        self.drop.clicked.connect(self.abandon)
        self.reason = line("退费原因", "insReason")
        self.back = QPushButton("医保退费")
        self.back.setObjectName("insRefund")
        self.back.clicked.connect(self.refund)
        self.resume = QPushButton("继续未完成")
        self.resume.setObjectName("insResume")
        self.resume.clicked.connect(self.resume_all)
        for w in (self.pre, self.go, self.drop, self.reason, self.back, self.resume):
            acts.addWidget(w)
        root.addLayout(acts)
        self.msg = MessageLine("insResult")
        root.addWidget(self.msg)
        self._enable()

    def _enable(self) -> None:
        state = self.checkout.order.state if self.checkout.order else ""
        self.read.setEnabled(True)
        self.pre.setEnabled(self.checkout.person is not None and state in ("", "abandoned", "cancelled", "done"))
        self.go.setEnabled(state in ("pre_settled", "paying", "paid", "settling", "settled", "billed"))
        self.drop.setEnabled(state == "pre_settled")
        self.back.setEnabled(state in ("done", "billed", "cancelling"))

    # --- actions -------------------------------------------------------------------------
    def _run(self, fn: Any, done: Any, button: QPushButton | None = None) -> None:
        self.checkout.flow.operator = self.ctx.operator
        if button is not None:
            button.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self._enable()
            self.msg.bad(exc.message if isinstance(exc, BillingError) else "操作失败")
            self.ctx.errors.show(exc)

        self.ctx.tasks.run(fn, lambda result: (done(result), self._enable()), failed)

    def identify(self) -> None:
        kind, no, sn = str(self.cert_type.currentData()), self.cert_no.text(), self.card_sn.text()
        self._run(lambda: self.checkout.identify(kind, no, sn), self._identified, self.read)

    def _identified(self, p: InsuredPerson) -> None:
        self.cert_no.setText(p.cert_no_masked)  # personal data masked on screen once read
        self.card_sn.clear()
        self.read.setEnabled(True)
        self.person.setText(f"{p.name}　{p.certno_masked}　{INSUTYPE_NAMES.get(p.insutype, p.insutype)}　"
                            f"参保地{p.insuplc_admdvs}　个人账户余额 {p.balance:.2f} 元")
        self._show_lines()
        self._show_split(None)
        self.msg.ok(f"已读取参保信息：{p.name}")

    def add_line(self) -> None:
        try:
            self.checkout.add_line(self.med_code.text(), self.charge.text(), self.price.text(), self.count.text())
        except BillingError as exc:
            self.msg.bad(exc.message)
            return
        self.med_code.clear()
        self.charge.clear()
        self.price.clear()
        self.count.setText("1")
        self.med_code.setFocus()
        self._show_lines()

    def _show_lines(self) -> None:
        self.table.set_rows([[ln.med_list_codg, ln.charge_code, ln.name, f"{ln.price:.2f}", f"{ln.count}",
                              f"{ln.amount:.2f}"] for ln in self.checkout.lines])
        self.m_total.set_amount(self.checkout.total)

    def _show_split(self, split: Split | None) -> None:
        for w, v in ((self.m_fund, split.fund if split else None), (self.m_account, split.account if split else None),
                     (self.m_cash, split.cash if split else None)):
            w.set_amount(v if v is not None else Decimal("0.00"))
        if split is not None:
            self.m_total.set_amount(split.medfee)

    def pre_settle(self) -> None:
        kind, diag, op = str(self.kind.currentData()), self.diag.text().strip(), self.ctx.operator
        self._run(lambda: self.checkout.pre_settle(kind, "", "", op, diagnosis=(diag, diag)), self._pre_settled,
                  self.pre)

    def _pre_settled(self, split: Split) -> None:
        self._show_split(split)
        self.msg.ok(f"预结算完成：请收取现金 {split.cash:.2f} 元后点“现金已收，结算”")

    def settle(self) -> None:
        def work() -> tuple[Split, dict[str, Any]]:
            self.checkout.settle()
            return self.checkout.split, self.checkout.summary()  # read here, off the GUI thread

        self._run(work, self._settled, self.go)

    def _settled(self, result: tuple[Split, dict[str, Any]]) -> None:
        split, s = result
        self._show_split(split)
        bill = s["bill"]
        self.msg.ok(f"{STATE_TEXT.get(s['state'], s['state'])}：票据 {bill.get('billBatchCode', '')} "
                    f"{bill.get('billNo', '')}，医保结算号 {s['setlId']}")

    def abandon(self) -> None:
        self._run(self.checkout.abandon, lambda _o: self.msg.ok("已放弃医保结算，可按自费开票（F1）"), self.drop)

    def refund(self) -> None:
        reason = self.reason.text()
        self._run(lambda: self.checkout.refund(reason), lambda _o: self.msg.ok("医保退费完成：票据已冲红、结算已撤销、现金已退还"),
                  self.back)

    def resume_all(self) -> None:
        self._run(self.checkout.resume_all, lambda orders: self.msg.ok(
            "未完成的医保结算单：" + ("；".join(f"{o.order_no} {STATE_TEXT.get(o.state, o.state)}" for o in orders)
                                 or "无")), self.resume)
