"""开票: keyboard-first manual entry of every bill kind, totals checked as you type.

Flow (Enter moves on, F-keys act): header fields -> 项目编码 (code, pinyin initials or name; the
first match is taken) -> 数量 -> 单价 (Enter adds the line and returns to the code) -> an empty code
jumps to 交费金额 -> Enter sets the channel. F7 fills the amount still owed into the channel,
F9 issues, F10 prints the notice of the last bill, F11 takes it to paper exchange, Delete removes
the selected line. The form model (workflows.cashier.entry) does every check; this page only shows.
"""

from __future__ import annotations

from collections.abc import Callable

from billing_core.errors import BillingError
from billing_core.money import wire
from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, chain_enter, combo, line
from print_templates.masking import mask_id_no
from qt_common.qt import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QShortcut,
    Qt,
    QVBoxLayout,
    QWidget,
)
from qt_common.widgets.bill_table import BillTable
from qt_common.widgets.money import MoneyLabel
from workflows.cashier.card_fill import CARD_TYPE_ID
from workflows.cashier.entry import HEADER_LABELS, KINDS, EntryForm
from workflows.records import BillRecord

HEADER_ORDER = ("payer", "card_no", "patient_no", "sex", "age", "hospital_no", "checker", "tel", "id_card_no",
                "dept", "remark")


class IssuePage(QWidget):
    """The issuing form. ``on_exchange`` is called with the last bill when F11 is pressed."""

    def __init__(self, ctx: PageContext, on_exchange: Callable[[BillRecord], None]) -> None:
        super().__init__()
        self.ctx = ctx
        self.on_exchange = on_exchange
        self.form = EntryForm("outpatient", ctx.services.catalog)
        self.last: BillRecord | None = None
        self._build()
        self._render()

    # --- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        root.addLayout(left, 3)

        head = QGroupBox("交款人信息")
        grid = QGridLayout(head)
        self.kind = combo([(k.key, k.label) for k in KINDS.values()], "kind")
        self.kind.currentIndexChanged.connect(self._kind_changed)
        grid.addWidget(QLabel("票据类型"), 0, 0)
        grid.addWidget(self.kind, 0, 1)
        # card readers fill the payer fields (issue 18 §1); a button per configured reader
        cards = QHBoxLayout()
        self.ssc_btn = QPushButton("读社保卡")
        self.ssc_btn.setObjectName("readSscButton")
        self.id_btn = QPushButton("读身份证")
        self.id_btn.setObjectName("readIdButton")
        has_ssc, has_id = self.ctx.services.cards.labels
        self.ssc_btn.setEnabled(has_ssc)
        self.id_btn.setEnabled(has_id)
        self.ssc_btn.clicked.connect(lambda: self.read_card("ssc"))
        self.id_btn.clicked.connect(lambda: self.read_card("id"))
        cards.addWidget(QLabel("读卡填入交款人信息："))
        cards.addWidget(self.ssc_btn)
        cards.addWidget(self.id_btn)
        cards.addStretch(1)
        self.fields: dict[str, QWidget] = {}
        for n, name in enumerate(HEADER_ORDER, start=1):
            w = combo([("男", "男"), ("女", "女")], "sex") if name == "sex" else line(name=name)
            if name == "sex":
                w.setEditable(False)
            self.fields[name] = w
            r, c = divmod(n, 2)
            grid.addWidget(QLabel(HEADER_LABELS[name]), r, c * 2)
            grid.addWidget(w, r, c * 2 + 1)
            if isinstance(w, QLineEdit):
                w.textChanged.connect(lambda _t, k=name: self._header_changed(k))
        grid.addLayout(cards, len(HEADER_ORDER) // 2 + 1, 0, 1, 4)
        left.addWidget(head)

        items = QGroupBox("收费项目（编码/拼音首字母/名称，回车确认；Delete删除选中行）")
        iv = QVBoxLayout(items)
        entry = QHBoxLayout()
        self.code = line("项目编码或拼音", "code")
        self.qty = line("数量", "qty")
        self.price = line("单价", "price")
        self.qty.setMaximumWidth(90)
        self.price.setMaximumWidth(110)
        for w in (QLabel("项目"), self.code, QLabel("数量"), self.qty, QLabel("单价"), self.price):
            entry.addWidget(w)
        iv.addLayout(entry)
        self.hint = QLabel()
        self.hint.setObjectName("itemHint")
        iv.addWidget(self.hint)
        self.table = BillTable(["序号", "编码", "项目", "单位", "单价", "数量", "金额"], stretch=2)
        self.table.setObjectName("items")
        iv.addWidget(self.table, 1)
        left.addWidget(items, 1)

        right = QVBoxLayout()
        root.addLayout(right, 2)
        pay = QGroupBox("交费渠道")
        pf = QFormLayout(pay)
        self.channel = combo([(c.code, f"{c.name}（{c.code}）") for c in self.ctx.services.catalog.channels], "channel")
        self.pay_amount = line("金额，回车确认", "payAmount")
        pf.addRow("渠道", self.channel)
        pf.addRow("金额", self.pay_amount)
        self.pays = QLabel()
        self.pays.setObjectName("pays")
        pf.addRow("已录", self.pays)
        right.addWidget(pay)

        tot = QGroupBox("合计")
        tf = QFormLayout(tot)
        self.total = MoneyLabel(upper=True)
        self.paid = MoneyLabel(point_size=12)
        self.diff = MoneyLabel(point_size=12)
        tf.addRow("票据金额", self.total)
        tf.addRow("渠道合计", self.paid)
        tf.addRow("差额", self.diff)
        right.addWidget(tot)

        self.issues = QListWidget()
        self.issues.setObjectName("issues")
        self.issues.setMaximumHeight(120)
        right.addWidget(QLabel("校验提示"))
        right.addWidget(self.issues)

        buttons = QHBoxLayout()
        self.issue_btn = QPushButton("开票 F9")
        self.issue_btn.setObjectName("issueButton")
        self.notice_btn = QPushButton("打印告知单 F10")
        self.paper_btn = QPushButton("换开纸质 F11")
        self.clear_btn = QPushButton("清空 Esc")
        for b in (self.issue_btn, self.notice_btn, self.paper_btn, self.clear_btn):
            buttons.addWidget(b)
        right.addLayout(buttons)
        self.result = MessageLine("issueResult")
        right.addWidget(self.result)
        right.addStretch(1)

        # keyboard-first wiring
        header_widgets = [self.fields[n] for n in HEADER_ORDER]
        chain_enter(header_widgets, last=self.code.setFocus)
        self.code.textChanged.connect(self._code_typed)
        self.code.returnPressed.connect(self._code_enter)
        self.qty.returnPressed.connect(self.price.setFocus)
        self.price.returnPressed.connect(self._add_line)
        self.pay_amount.returnPressed.connect(self._set_pay)
        self.issue_btn.clicked.connect(self.issue)
        self.notice_btn.clicked.connect(self.print_notice)
        self.paper_btn.clicked.connect(self._exchange)
        self.clear_btn.clicked.connect(self.clear)
        for key, slot in ((Qt.Key.Key_F9, self.issue), (Qt.Key.Key_F10, self.print_notice),
                          (Qt.Key.Key_F11, self._exchange), (Qt.Key.Key_F7, self._fill_owed),
                          (Qt.Key.Key_Escape, self.clear)):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table)
        delete.activated.connect(self._delete_line)

    # --- card readers --------------------------------------------------------------------
    def read_card(self, which: str) -> None:
        """Read the social-security (``ssc``) or ID (``id``) card off the GUI thread and fill the
        payer fields with what it holds."""
        cards, has_card = self.ctx.services.cards, bool(self.form.header.get("card_no", "").strip())
        self.result.info("请插入社保卡…" if which == "ssc" else "请将身份证放在读卡器上…")
        work = cards.read_ssc if which == "ssc" else (lambda: cards.read_id_card(has_card_no=has_card))
        self.ctx.tasks.run(work, self.fill, self._card_failed)

    def fill(self, values: dict[str, str]) -> None:
        """Put card values into the form as if typed; the ID number is shown masked (DESIGN §3)."""
        masked = {"id_card_no"} | ({"card_no"} if values.get("card_type") == CARD_TYPE_ID else set())
        for name, value in values.items():
            w = self.fields.get(name)
            if name == "sex" and w is not None:
                w.setCurrentIndex(max(w.findData(value), 0))  # type: ignore[attr-defined]
            elif name in masked and w is not None:
                self.form.header[name] = value
                w.blockSignals(True)
                w.setText(mask_id_no(value))  # type: ignore[attr-defined]
                w.blockSignals(False)
            elif w is not None:
                w.setText(value)  # type: ignore[attr-defined]  # textChanged updates the form
            else:
                self.form.header[name] = value  # card_type: not a field on screen
        self._render()
        self.result.ok(f"已读卡：{values.get('payer', '')}")
        self.fields["patient_no"].setFocus()

    def _card_failed(self, exc: BaseException) -> None:
        self.result.bad(getattr(exc, "message", "读卡失败"))
        self.ctx.errors.show(exc)

    # --- form events ---------------------------------------------------------------------
    def _kind_changed(self) -> None:
        self.form.kind = self.kind.currentData()
        self._render()

    def _header_changed(self, name: str) -> None:
        self.form.header[name] = self.fields[name].text()  # type: ignore[attr-defined]
        self._render()

    def _code_typed(self, text: str) -> None:
        matches = self.ctx.services.catalog.search(text, limit=5) if text.strip() else []
        self.hint.setText("  ".join(f"{m.code} {m.name} {wire(m.std)}" for m in matches))

    def _code_enter(self) -> None:
        text = self.code.text().strip()
        if not text:
            self.pay_amount.setFocus()
            return
        cat = self.ctx.services.catalog
        item = cat.get(text) or next(iter(cat.search(text, limit=1)), None)
        if item is None:
            self.hint.setText(f"<span style='color:#b71c1c'>没有匹配“{text}”的收费项目</span>")
            return
        self.code.setText(item.code)
        self.qty.setText("1")
        self.price.setText(wire(item.std) if item.std > 0 else "")
        self.qty.setFocus()
        self.qty.selectAll()

    def _add_line(self) -> None:
        if not self.code.text().strip():
            self.code.setFocus()
            return
        self.form.add_item(self.code.text(), self.qty.text() or "1", self.price.text() or None)
        for w in (self.code, self.qty, self.price):
            w.clear()
        self.code.setFocus()
        self._render()

    def _delete_line(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.form.lines):
            del self.form.lines[row]
            self._render()

    def _set_pay(self) -> None:
        self.form.set_pay(self.channel.currentData(), self.pay_amount.text() or "0")
        self.pay_amount.clear()
        self._render()
        if not self.form.check():
            self.issue_btn.setFocus()

    def _fill_owed(self) -> None:
        owed = self.form.difference + next((p.amount for p in self.form.pays
                                            if p.code == self.channel.currentData()), 0)
        self.pay_amount.setText(wire(owed))
        self.pay_amount.setFocus()

    # --- actions -------------------------------------------------------------------------
    def issue(self) -> None:
        """F9: issue the form's bill on a worker thread."""
        try:
            self.ctx.services.login.require(*self.form.bill_kind.roles)
        except BillingError as exc:
            self.result.bad(exc.message)
            self.ctx.errors.show(exc)
            return
        problems = self.ctx.services.issuing.check(self.form)
        if problems:
            self.result.bad("请先处理校验提示中的问题")
            self._render()
            return
        form, payee = self.form, self.ctx.operator
        self.issue_btn.setEnabled(False)
        self.result.info("正在开票…")
        self.ctx.tasks.run(lambda: self.ctx.services.issuing.issue(form, payee), self._issued, self._failed)

    def _issued(self, rec: BillRecord) -> None:
        self.issue_btn.setEnabled(True)
        self.last = rec
        kind = "应急票据" if rec.emergency else "电子票据"
        self.result.ok(f"已开具{kind}：代码{rec.bill_batch_code} 号码{rec.bill_no} 校验码{rec.random} "
                       f"金额{rec.total}（F10打印告知单，F11换开纸质）")
        self.form = EntryForm(self.form.kind, self.ctx.services.catalog)
        for name, w in self.fields.items():
            if name != "sex":
                w.blockSignals(True)
                w.clear()  # type: ignore[attr-defined]
                w.blockSignals(False)
        self.form.header["sex"] = self.fields["sex"].currentData()  # type: ignore[attr-defined]
        self._render()
        self.fields["payer"].setFocus()
        if rec.emergency:
            self.print_notice()  # an emergency bill's notice comes out at once (issue 7 §5)

    def _failed(self, exc: BaseException) -> None:
        self.issue_btn.setEnabled(True)
        self.result.bad(getattr(exc, "message", "开票失败"))
        self.ctx.errors.show(exc)

    def print_notice(self) -> None:
        """F10: print the last bill's notice on the receipt printer."""
        rec = self.last
        if rec is None:
            self.result.bad("还没有开具票据")
            return
        issuing = self.ctx.services.issuing

        def done(_r: object) -> None:
            self.result.ok(f"告知单已打印：{rec.bill_no}")

        # The workflow's stored job (EMERGENCY banner for an emergency bill, 补打 on a repeat).
        self.ctx.tasks.run(lambda: issuing.print_notice(rec), done)

    def _exchange(self) -> None:
        if self.last is None:
            self.result.bad("还没有开具票据")
            return
        self.on_exchange(self.last)

    def clear(self) -> None:
        """Esc: start over."""
        self.form.clear()
        for name, w in self.fields.items():
            if name != "sex":
                w.clear()  # type: ignore[attr-defined]
        self.form.header["sex"] = self.fields["sex"].currentData()  # type: ignore[attr-defined]
        self._render()
        self.fields["payer"].setFocus()

    # --- rendering -----------------------------------------------------------------------
    def _render(self) -> None:
        f = self.form
        f.header["sex"] = self.fields["sex"].currentData()  # type: ignore[attr-defined]
        self.table.set_rows([[str(n), ln.code, ln.name, ln.unit, wire(ln.std), wire(ln.number), wire(ln.amt)]
                             for n, ln in enumerate(f.lines, 1)])
        self.pays.setText("；".join(f"{self.ctx.services.catalog.channel_name(p.code)} {wire(p.amount)}"
                                   for p in f.pays) or "—")
        mismatch = f.difference != 0
        self.total.set_amount(f.total)
        self.paid.set_amount(f.paid, warn=mismatch)
        self.diff.set_amount(f.difference, warn=mismatch)
        self.issues.clear()
        for _code, label, msg in f.check():
            self.issues.addItem(f"{label}：{msg}")
        required = set(f.required_fields())
        for name, w in self.fields.items():
            w.setToolTip("必填" if name in required else "")
