"""出院结算 at the nurse station: the discharge bill of the selected patient (deposit used, due on
top, surplus to refund), one-step settlement with the self-pay top-up by QR or payment code,
the surplus deposit refunded to its original channels, the inpatient e-bill and its notice."""

from __future__ import annotations

from typing import Any

from cashier_app.pages.common import MessageLine, combo, line
from cashier_app.pages.ward_common import QrLabel, WardContext, fill, table
from qt_common.qt import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from workflows.his import DischargeBill
from workflows.kiosk.models import PayChoice
from workflows.ward.board import WardRow
from workflows.ward.desk import DischargeResult

STATE = {"done": "已原路退回", "pending": "退款处理中", "manual": "请到住院处退还"}


class WardDischargePage(QWidget):
    """Discharge of the patient selected on the ward list (``pick`` gives it)."""

    def __init__(self, ctx: WardContext, pick: Any) -> None:
        super().__init__()
        self.ctx, self.pick = ctx, pick
        self.bill: DischargeBill | None = None
        self.row: WardRow | None = None
        self.last_order = ""
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        load = QPushButton("读取出院费用")
        load.setObjectName("wardDischargeLoad")
        load.clicked.connect(self.load)
        self.head = QLabel("请在病区一览中选择患者")
        self.head.setObjectName("wardDischargeHead")
        top.addWidget(load)
        top.addWidget(self.head, 1)
        root.addLayout(top)
        self.groups = table(["收费项目", "金额"], "wardDischargeGroups")
        root.addWidget(self.groups, 2)
        self.sums = QLabel()
        self.sums.setObjectName("wardDischargeSums")
        root.addWidget(self.sums)
        pay = QHBoxLayout()
        self.code = line("需补缴时：扫描患者付款码", "wardDischargeCode")
        by_code = QPushButton("结算（付款码补缴）")
        by_code.setObjectName("wardDischargeByCode")
        by_code.clicked.connect(lambda: self.settle("code"))
        by_qr = QPushButton("结算（扫码补缴 / 无需补缴）")
        by_qr.setObjectName("wardDischargeByQr")
        by_qr.clicked.connect(lambda: self.settle("qr"))
        for w in (self.code, by_code, by_qr):
            pay.addWidget(w)
        root.addLayout(pay)
        ins = QHBoxLayout()
        self.cert = line("医保：身份证号 / 电子凭证 / 社保卡号", "wardInsCert")
        self.cert_type = combo([("02", "身份证"), ("01", "医保电子凭证"), ("03", "社保卡")], "wardInsCertType")
        self.disease = line("入院诊断（编码 名称，如 J18.900 肺炎）", "wardInsDisease")
        admit = QPushButton("医保入院登记")
        admit.setObjectName("wardInsAdmit")
        admit.clicked.connect(self.insured_admit)
        pre = QPushButton("医保预结算")
        pre.setObjectName("wardInsPre")
        pre.clicked.connect(self.insured_pre)
        settle = QPushButton("医保出院结算")
        settle.setObjectName("wardInsSettle")
        settle.clicked.connect(self.insured_settle)
        for iw in (QLabel("医保"), self.cert_type, self.cert, self.disease, admit, pre, settle):
            ins.addWidget(iw)
        ins.setStretchFactor(self.cert, 1)
        ins.setStretchFactor(self.disease, 1)
        root.addLayout(ins)
        body = QHBoxLayout()
        left = QVBoxLayout()
        self.message = MessageLine("wardDischargeMessage")
        left.addWidget(self.message)
        send = QHBoxLayout()
        self.target = line("告知单接收手机号或邮箱", "wardNoticeTarget")
        push = QPushButton("发送告知单")
        push.setObjectName("wardNoticeSend")
        push.clicked.connect(self.send_notice)
        send.addWidget(self.target, 1)
        send.addWidget(push)
        left.addLayout(send)
        self.refunds = table(["原支付订单", "退款单号", "金额", "状态"], "wardRefundTable")
        left.addWidget(self.refunds)
        body.addLayout(left, 1)
        self.qr = QrLabel(200)
        body.addWidget(self.qr)
        root.addLayout(body, 2)
        ctx.bridge.event.connect(self._on_event)

    def load(self) -> None:
        """Read the discharge bill of the selected patient."""
        self.row = self.pick()
        if self.row is None:
            self.message.bad("请先在病区一览中选择患者")
            return
        no = self.row.admission_no
        self.ctx.tasks.run(lambda: self.ctx.ward.desk.discharge_bill(no), self._show, self._failed)

    def _show(self, bill: DischargeBill) -> None:
        self.bill = bill
        s = bill.inpatient
        self.head.setText(f"{s.bed} {self.row.name if self.row else ''} 住院号{s.admission_no} {s.dept_name}")
        fill(self.groups, [[name, f"{amount:.2f}"] for _code, name, amount in bill.groups])
        self.sums.setText(f"费用总额 {bill.total:.2f}元 ｜ 押金 {bill.deposit:.2f}元 ｜ 押金抵扣 "
                          f"{bill.deposit_used:.2f}元 ｜ 需补缴 {bill.due:.2f}元 ｜ 应退押金 {bill.refund_due:.2f}元")

    def settle(self, method: str) -> None:
        """出院结算 in one step (self-pay top-up when due), then the surplus refund."""
        if self.bill is None or self.row is None:
            self.message.bad("请先读取出院费用")
            return
        pay: PayChoice | None = None
        if self.bill.due > 0:
            if method == "code":
                if not self.code.text().strip():
                    self.message.bad("付款码：请扫描患者付款码")
                    return
                pay = PayChoice.code(self.code.text().strip())
            else:
                pay = PayChoice.qr()
        self.code.clear()
        pid = self.row.patient_id
        self.message.info("正在办理出院结算…")
        self.ctx.tasks.run(lambda: self.ctx.ward.desk.discharge(pid, pay), self._done, self._failed)

    def _done(self, out: DischargeResult) -> None:
        self.qr.show_text("")
        f = out.flow
        self.last_order = f.order_no if f.ok else ""
        if f.ok:
            bill = f"，电子票据 {f.bill.bill_no}" if f.bill is not None else ""
            self.message.ok(f"出院结算完成（订单{f.order_no}）{bill}；应退押金{out.refund_fen / 100:.2f}元，"
                            f"已原路退回{out.refunded_fen / 100:.2f}元")
        else:
            self.message.bad(f"{f.message}（订单{f.order_no}）")
        fill(self.refunds, [[x.out_trade_no or "—", x.out_refund_no, f"{x.fen / 100:.2f}", STATE.get(x.state, x.state)]
                            for x in out.refunds])

    # --- insured -------------------------------------------------------------------------------

    def _picked(self) -> WardRow | None:
        self.row = self.pick()
        if self.row is None:
            self.message.bad("请先在病区一览中选择患者")
        else:
            r = self.row
            self.head.setText(f"{r.bed} {r.name} 住院号{r.admission_no} {r.dept_name}")
        return self.row

    def insured_admit(self) -> None:
        """1101 + 2401 for the selected stay (the diagnosis from the field)."""
        row = self._picked()
        if row is None:
            return
        code, _, name = self.disease.text().strip().partition(" ")
        if not code or not name.strip():
            self.message.bad("入院诊断：请输入诊断编码和名称，中间空一格")
            return
        cert_type, cert = str(self.cert_type.currentData()), self.cert.text().strip()
        ins = self.ctx.ward.insurance

        def work() -> str:
            person = ins.identify(cert_type, cert)
            ins.admit(self.ctx.ward.desk.stay(row.patient_id), person, dept_code="", disease_code=code,
                      disease_name=name.strip(), doctor="主治医师", doctor_no="D001")
            return person.name

        self.ctx.tasks.run(work, lambda who: self.message.ok(f"医保入院登记完成：{who}"), self._failed)

    def insured_pre(self) -> None:
        """Upload the closed days' fees and pre-settle: fund / account / self-pay vs the deposit."""
        row = self._picked()
        if row is None:
            return
        ins = self.ctx.ward.insurance

        def work() -> Any:
            ins.upload_fees(row.admission_no)
            return ins.pre_settle(row.admission_no)

        self.ctx.tasks.run(work, self._show_pre, self._failed)

    def _show_pre(self, v: Any) -> None:
        sp = v.split
        self.sums.setText(f"医保预结算：医疗费 {sp.medfee:.2f}元 ｜ 统筹基金 {sp.fund:.2f}元 ｜ 个人账户 "
                          f"{sp.account:.2f}元 ｜ 个人自付 {sp.cash:.2f}元 ｜ 押金 {v.deposit:.2f}元 ｜ 需补缴 "
                          f"{v.due:.2f}元 ｜ 预计退押金 {v.refund_due:.2f}元")
        self.message.ok("医保预结算完成")

    def insured_settle(self) -> None:
        """2402 + 2303 + 2304 and the HIS discharge with the insurance parts in one step."""
        row = self._picked()
        if row is None:
            return
        code = self.code.text().strip()
        pay = PayChoice.code(code) if code else None
        self.code.clear()
        self.message.info("正在办理医保出院结算…")
        self.ctx.tasks.run(lambda: self.ctx.ward.insurance.discharge(row.admission_no, pay), self._done,
                           self._failed)

    def send_notice(self) -> None:
        """Send the discharge e-bill's notice (it was printed at the ward as well)."""
        if self.last_order == "":
            self.message.bad("请先办理出院结算")
            return
        no, target = self.last_order, self.target.text()
        self.ctx.tasks.run(lambda: self.ctx.ward.desk.send_notice(no, target),
                           lambda bills: self.message.ok(f"告知单已发送（票据{'、'.join(bills)}）"), self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.qr.show_text("")
        self.message.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "pay_waiting_scan" and self.isVisible():
            self.qr.show_text(str(payload.get("code_url", "")))
