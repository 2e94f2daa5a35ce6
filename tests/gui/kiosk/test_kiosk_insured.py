"""The kiosk's insured 门诊缴费 on the window, against real processes (finance, insurance, HIS and
payment simulators, the sync server configured for the insurance platform): a patient identified
by 医保电子凭证 sees 医保结算, the split in big text (normal and 长辈模式, the elderly audit holds),
pays the cash part by payment code and gets the receipt; with the platform down the screen says so
and the self-pay path pays the same charges."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import requests  # noqa: E402

from tests.gui.conftest import bg  # noqa: E402
from tests.integration.insurance.ins_stack import insurance_config, write_config  # noqa: E402
from tests.integration.kiosk.insured_rig import INS_CODES  # noqa: E402
from tests.rigs.his_rig import HisProcess  # noqa: E402
from tests.rigs.insurance import InsSimProcess  # noqa: E402
from tests.rigs.payment import WECHAT_CODE, PaySimProcess  # noqa: E402
from tests.rigs.stack import ServerProcess, Simulator  # noqa: E402

pytestmark = pytest.mark.usefixtures("io_guard")
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


class Stack:
    """The processes, one set for the module."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.finance = Simulator(root / "finance").start()
        self.ins = InsSimProcess(root / "ins").start()
        config = write_config(root / "server.json", insurance_config(self.ins, timeout=5.0))
        (root / "server").mkdir(exist_ok=True)
        self.server = ServerProcess(root / "server", self.finance.url, config=config).start()
        self.his = HisProcess(root / "his").start()
        self.pay = PaySimProcess(root / "payment").start()

    def stop(self) -> None:
        for p in (self.pay, self.his, self.server, self.ins, self.finance):
            p.stop()

    def insured_patient(self, balc: str) -> dict[str, Any]:
        """A person on the insurance simulator (e-voucher token) and in the HIS with two charges."""
        def make() -> dict[str, Any]:
            n = os.getpid() * 10**6 + int.from_bytes(os.urandom(3), "big")
            token = f"ECT-KGUI-{n:014d}"
            r = requests.post(self.ins.url + "/_sim/persons", json={
                "psn_no": f"4403007{n:013d}"[:20], "certno": f"440306197{n:09d}"[:18], "psn_name": "医保长者",
                "gend": "2", "brdy": "1950-01-01", "card_no": f"SSC{n}", "card_sn": f"SN{n}", "ec_token": token,
                "insurances": [{"insutype": "310", "psn_insu_stas": "1", "insuplc_admdvs": "440300", "balc": balc}]},
                timeout=10)
            assert r.status_code == 200, r.text
            p = self.his.control("patients", {"name": "医保长者", "sex": "女", "birthDate": "1950-01-01",
                                              "phone": "13911112222", "withCard": True, "prepay": "1000.00",
                                              "eVoucher": token})["patient"]
            for seed in (7, 11):
                self.his.control("charges", {"patientId": p["patientId"], "count": 2, "seed": seed})
            return {"token": token, "patient": p}
        return dict(bg(make))


@pytest.fixture(scope="module")
def ins_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("kiosk-ins-stack"))
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def open_ins(qtbot, qapp, tmp_path, ins_stack) -> Iterator[Callable[[], Any]]:  # type: ignore[no-untyped-def]
    """A started kiosk (the demo config over this stack, with the 医保目录对照) and its window."""
    from dataclasses import replace

    from devices.registry import build_devices
    from kiosk_app.app import demo_config, virtual_devices
    from kiosk_app.controller import KioskController
    from kiosk_app.theme import SCREEN_H, SCREEN_W
    from kiosk_app.window import KioskWindow
    from qt_common.fonts import install_app_font
    from tests.gui.kiosk.ui import Ui
    from workflows.events import Events
    from workflows.kiosk.builder import build_kiosk

    install_app_font(qapp)
    opened: list[Ui] = []

    def open_() -> Ui:
        data = tmp_path / f"kiosk{len(opened)}"
        s = ins_stack

        def build() -> Any:
            data.mkdir(parents=True, exist_ok=True)
            cfg = demo_config(data, server_url=f"http://127.0.0.1:{s.server.port}", server_dir=s.server.data_dir,
                              his_url=s.his.url, his_dir=s.his.data_dir, payment_url=s.pay.url,
                              payment_dir=s.pay.data_dir)
            assert cfg.kiosk is not None
            cfg.kiosk = replace(cfg.kiosk, insurance_codes=dict(INS_CODES))
            kiosk = build_kiosk(cfg, build_devices(virtual_devices(data)), Events())
            kiosk.start()
            return kiosk

        kiosk = bg(build)
        win = KioskWindow(kiosk.config.hospital, idle_s=300, countdown_s=30)
        qtbot.addWidget(win)
        win.resize(SCREEN_W, SCREEN_H)
        win.show()
        ctl = KioskController(kiosk, win, maintain_ms=0)
        ui = Ui(win, ctl, kiosk, data, qtbot)
        opened.append(ui)
        qtbot.waitUntil(lambda: bool(ctl.functions), timeout=10000)
        return ui

    yield open_
    for ui in opened:
        ui.ctl.close()
        ui.win.close()
        bg(ui.kiosk.close)
    bg(lambda: ins_stack.ins.knobs(down=None))


def _by_evoucher(ui: Any, token: str) -> None:
    ui.win.attract.methods.buttons["e_voucher"].click()
    bg(lambda: ui.device("scanner").scan(token))
    ui.wait("home")
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")


def test_insured_outpatient_payment_on_the_window(qtbot, open_ins, ins_stack) -> None:  # type: ignore[no-untyped-def]
    """医保电子凭证 -> 门诊缴费 (医保结算) -> the split, normal and 长辈模式 -> 确认支付 -> 付款码 -> ✔."""
    from kiosk_app.audit import elderly_problems, layout_problems

    who = ins_stack.insured_patient(balc="20.00")
    ui = open_ins()
    _by_evoucher(ui, who["token"])
    assert ui.win.outpatient.go_insured.isVisible() and ui.win.outpatient.go.text() == "自费缴费"
    total = ui.win.outpatient.total_of(ui.win.outpatient.selected())
    ui.tap("outpatientInsured")
    ui.wait("insured")
    rows = {k: Decimal(v.text().lstrip("¥").replace(",", "")) for k, v in ui.win.insured.rows.items()}
    assert rows["medfee"] == total == rows["fund"] + rows["account"] + rows["cash"]
    assert rows["account"] == Decimal("20.00") and rows["cash"] > 0
    assert f"您需支付：¥{rows['cash']:,.2f}" in ui.texts()
    assert ui.win.insured.who.text().startswith("医*") and "医保长者" not in ui.win.insured.who.text()
    ui.win.grab().save(str(SHOTS / "kiosk_insured_flow_normal.png"))
    ui.win.set_elderly(True)
    qtbot.wait(50)
    assert elderly_problems(ui.win) == [] and layout_problems(ui.win) == []
    ui.win.grab().save(str(SHOTS / "kiosk_insured_flow_elderly.png"))
    ui.win.set_elderly(False)

    ui.tap("insuredConfirm")
    ui.pay_by("code")
    ui.show_code(WECHAT_CODE)
    ui.wait("result", timeout=60000)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()
    seen = ui.texts()
    assert "医保结算成功" in seen and f"¥{rows['cash']:,.2f}" in seen, seen
    receipt = ui.printed()[0]
    for text in ("医保统筹支付", "个人账户支付", f"{rows['account']:.2f}元", "个人现金支付", f"{rows['cash']:.2f}元"):
        assert text in receipt, receipt
    assert len(ui.printed()) >= 2  # the receipt, then the e-bill notice
    # the order finished (nothing left to resume) and the HIS has nothing left to pay
    assert bg(lambda: ui.kiosk.insurance.flow.unfinished()) == []
    assert bg(lambda: ui.kiosk.session.pending_charges()) == []


def test_platform_down_offers_self_pay(qtbot, open_ins, ins_stack) -> None:  # type: ignore[no-untyped-def]
    """医保结算 with the platform down: the reason on 门诊缴费, 医保结算 gone, 自费缴费 pays."""
    who = ins_stack.insured_patient(balc="20.00")
    ui = open_ins()
    _by_evoucher(ui, who["token"])
    total = ui.win.outpatient.total_of(ui.win.outpatient.selected())
    bg(lambda: ins_stack.ins.knobs(down=True))
    ui.tap("outpatientInsured")
    ui.wait("outpatient")
    qtbot.waitUntil(lambda: "医保平台暂时无法连接" in ui.texts(), timeout=20000)
    assert "可按自费结算" in ui.texts() and not ui.win.outpatient.go_insured.isVisible()
    bg(lambda: ins_stack.ins.knobs(down=None))
    assert bg(lambda: ui.kiosk.insurance.flow.unfinished()) == []  # nothing half-open
    ui.tap("outpatientPay")
    ui.pay_by("prepayment")
    ui.wait("result", timeout=60000)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()
    assert f"¥{total:,.2f}" in ui.texts()


def test_changing_to_self_pay_closes_the_insurance_visit(qtbot, open_ins, ins_stack) -> None:  # type: ignore[no-untyped-def]
    """改为自费缴费 on 医保结算: back on 门诊缴费 with the self-pay button, the visit closed, nothing paid."""
    from offline_store import ins_orders

    who = ins_stack.insured_patient(balc="20.00")
    ui = open_ins()
    _by_evoucher(ui, who["token"])
    ui.tap("outpatientInsured")
    ui.wait("insured")
    order_no = ui.win.insured.order_no
    ui.tap("insuredSelfPay")
    assert ui.win.current().key == "outpatient" and "已取消医保结算" in ui.texts()
    assert not ui.win.outpatient.go_insured.isVisible() and ui.win.outpatient.go.text() == "自费缴费"
    qtbot.waitUntil(lambda: bg(lambda: ins_orders.get(ui.kiosk.terminal.db, order_no).state) == "abandoned",
                    timeout=20000)
    assert bg(lambda: ins_orders.get(ui.kiosk.terminal.db, order_no).cash_trade_no) == ""
