"""Every party speaks billing_core.methods (issue 13): the server routes, the connector knows, the
simulator handles, the terminal client sends, and the demo stand-in answers exactly the names of
the one vocabulary."""

from __future__ import annotations

import ast
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from billing_core import envelope, methods
from simulators.finance import platform as sim_platform
from simulators.finance.api import UNSUPPORTED
from simulators.finance.handlers import HANDLERS
from sync_server.api import his_api, terminal_api
from sync_server.connectors import finance_transport as transport
from sync_server.errors import UnknownMethodError
from workflows.cashier.login import ServerDirectory
from workflows.demo.platform import DemoPlatform
from workflows.hospital_bills import find_bills
from workflows.server_api import ServerApi
from workflows.stock_desk import StockDesk
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


# --- sync server ------------------------------------------------------------------------------


def test_the_his_interface_routes_every_his_method_to_its_group(monkeypatch: pytest.MonkeyPatch) -> None:
    routed: dict[str, str] = {}

    def record(kind: str) -> Any:
        return lambda *args: routed.__setitem__(next(a for a in args if isinstance(a, str)), kind)

    class Issuer:
        def __init__(self, ctx: object) -> None:
            self.ctx = ctx

        def issue(self, method: str, data: dict[str, Any], who: object) -> None:
            routed[method] = "issue"

    monkeypatch.setattr(his_api, "validate", lambda method, data: data)
    monkeypatch.setattr(his_api, "_authorise", lambda *args: None)
    monkeypatch.setattr(his_api, "authorise", lambda ctx, caller, method: None)
    monkeypatch.setattr(his_api, "read_tx", lambda engine: nullcontext())
    monkeypatch.setattr(his_api.mapping, "to_platform", lambda ctx, caller, method, data: data)
    monkeypatch.setattr(his_api.checkers, "require_checker", lambda ctx, method, data: None)
    monkeypatch.setattr(his_api, "Issuer", Issuer)
    monkeypatch.setattr(his_api.batches, "receive", record("batch"))
    monkeypatch.setattr(his_api.changes, "change", record("change"))
    monkeypatch.setattr(his_api.queries, "reconcile", record("reconcile"))
    monkeypatch.setattr(his_api, "_forward_or_local", record("local"))
    ctx = SimpleNamespace(engine=None, upstream=SimpleNamespace(call=record("forward")))
    for method in methods.HIS_METHODS:
        his_api.dispatch(ctx, None, None, method, {})  # type: ignore[arg-type]
    expected = {**{m: "issue" for m in methods.ISSUE}, **{m: "batch" for m in methods.BATCH},
                **{m: "change" for m in methods.BILL_CHANGES | methods.OTHER_CHANGES},
                **{m: "reconcile" for m in methods.RECONCILE}, **{m: "local" for m in methods.LOCAL_QUERIES},
                **{m: "forward" for m in methods.FORWARD_ONLY}}
    assert routed == expected


@pytest.mark.parametrize("method", sorted(methods.EXTENSIONS | methods.TERMINAL_METHODS | {"invoiceEBill"}))
def test_the_his_interface_refuses_what_is_not_his(method: str) -> None:
    with pytest.raises(UnknownMethodError):
        his_api.dispatch(None, None, None, method, {})  # type: ignore[arg-type]


def test_the_terminal_api_routes_exactly_the_terminal_methods() -> None:
    assert set(terminal_api.ROUTES) == methods.TERMINAL_METHODS
    caller = SimpleNamespace(kind="terminal", appid="T1")
    with pytest.raises(UnknownMethodError):
        terminal_api.dispatch(None, None, caller, methods.INVOICE_EBILL_OUTPATIENT, {})  # type: ignore[arg-type]


def test_the_connector_knows_the_his_interface_in_its_policy_groups() -> None:
    groups = [set(transport.ISSUE_METHODS), set(transport.BATCH_METHODS), set(transport.QUERY_METHODS),
              set(transport.ONCE_METHODS), {methods.WRITE_OFF_EBILL}]
    assert sum(len(g) for g in groups) == len(methods.HIS_METHODS)  # disjoint ...
    assert set().union(*groups) == set(transport.ALL_METHODS) == methods.HIS_METHODS  # ... and complete


# --- simulator --------------------------------------------------------------------------------


def test_the_simulator_handles_the_platform_methods_and_nothing_else() -> None:
    assert set(HANDLERS) == methods.PLATFORM_METHODS
    assert not UNSUPPORTED & methods.PLATFORM_METHODS
    with pytest.raises(ValueError, match="invoiceEBil"):
        sim_platform.method("invoiceEBil")  # a typo cannot register a handler


# --- terminal ---------------------------------------------------------------------------------


class _Session:
    """Records the URLs a SyncClient posts to and answers every call with one signed success."""

    def __init__(self, appid: str, key: str) -> None:
        self.urls: list[str] = []
        env = envelope.encode_response(appid, key, envelope.SUCCESS,
                                       {"username": "u1", "displayName": "收费员", "role": "cashier"},
                                       noise="n" * 32)
        self.content = envelope.dumps(env).encode("utf-8")

    def post(self, url: str, **_: Any) -> SimpleNamespace:
        self.urls.append(url)
        return SimpleNamespace(status_code=200, content=self.content)


def test_the_terminal_client_sends_the_names_the_server_routes() -> None:
    client = SyncClient("http://server", "T1", "k" * 32)
    session = _Session("T1", "k" * 32)
    client._local.session = session  # noqa: SLF001 - the transport seam of this test
    client.register("00" * 64)
    client.heartbeat({"terminalId": "T1"})
    assert client.probe()
    client.emergency_catalog("001")
    client.emergency_stock_out("001", 10, "u1")
    client.emergency_stock_return("001", "42069126", "0000000001", "0000000002", "退回")
    client.upload_emergency_bills("T1", [])
    ServerDirectory(ServerApi(client)).authenticate("u1", "secret")
    client.change_password("u1", "secret", "new-secret-1")
    client.logout()
    desk = StockDesk(ServerApi(client).terminal)  # the finance office's stock desk (issue 18 §2)
    desk.refresh()
    desk.moves("2026-12-01", "2026-12-31")
    desk.opening("0602", "44060126", "1", "10")
    desk.apply("0602", "100", "门诊用量")
    desk.refresh_apply("A1")
    desk.confirm("A1")
    desk.distribute("44060126", "1", "5", "001")
    desk.recall("44060126", "1", "5")
    desk.void("44060126", "6", "6", "撕毁")
    desk.give_back("44060126", "7", "10", "申退")
    desk.set_threshold("001", "0602", "10")
    desk.year_end("2026")
    find_bills(ServerApi(client), {"busNo": "B1"})
    # the finance office's calls (issue 18): one per method, each through its workflows module
    _finance_office_calls(ServerApi(client))
    sent = {url.rsplit("/", 1)[1] for url in session.urls}
    assert all(url.startswith("http://server/terminal/api/") for url in session.urls)
    assert sent == methods.TERMINAL_METHODS == set(terminal_api.ROUTES)


def _finance_office_calls(api: ServerApi) -> None:
    """Every terminal method the finance workspace sends, once (answers are not looked at)."""
    from datetime import date

    from workflows.cashier import finance_admin, finance_reports
    from workflows.cashier.finance_errors import ReportAnswerInvalid

    with pytest.raises(ReportAnswerInvalid):  # the recorded answer is a login profile, not a report
        finance_reports.fetch(api, finance_reports.ReportQuery("invoiceDetail", date(2026, 1, 1), date(2026, 1, 1)))
    finance_admin.save_config(api, "checkers", {"code": "C1", "name": "王芳"})
    finance_admin.download_base_info(api)
    finance_admin.users(api)
    finance_admin.callers(api)
    with pytest.raises(ReportAnswerInvalid):
        finance_admin.audit_page(api, date(2026, 1, 1), date(2026, 1, 1))


def _terminal_calls_with_literals(path: Path) -> list[str]:
    """``x.terminal("name", ...)`` calls whose method is a string literal instead of a constant."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "terminal"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def test_no_terminal_method_name_is_spelled_out_by_a_caller() -> None:
    files = [p for pkg in ("workflows", "cashier_app", "qt_common") for p in (ROOT / pkg).rglob("*.py")]
    assert files
    assert [hit for p in files for hit in _terminal_calls_with_literals(p)] == []


def test_the_demo_stand_in_answers_only_vocabulary_names() -> None:
    names = [n for n in dir(DemoPlatform) if n.startswith(("_t_", "_m_"))]
    assert {n[3:] for n in names if n.startswith("_t_")} <= methods.TERMINAL_METHODS
    assert {n[3:] for n in names if n.startswith("_m_")} <= methods.HIS_METHODS
