"""The finance workspace's configuration, account and audit screens, Qt-free (issue 18 §4).

Thin typed calls over the server's terminal api (sync_server/api/finance_api.py): the server
checks roles and fields and writes the audit rows; this module checks what a screen can check
before sending (E3093 naming the field) and shapes answers for tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from billing_core import methods
from workflows.cashier.finance_errors import ConfigInputInvalid, ReportAnswerInvalid
from workflows.cashier.finance_reports import TerminalApi

#: configuration table -> (Chinese title, column keys and titles shown)
CONFIG_TABLES: Mapping[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "departments": ("业务科室", (("code", "编码"), ("name", "名称"), ("enabled", "启用"))),
    "checkers": ("复核人", (("code", "编码"), ("name", "姓名"), ("enabled", "启用"))),
    "commonPayers": ("常用交款人", (("code", "编码"), ("name", "名称"), ("payerType", "类型"), ("enabled", "启用"))),
    "itemGroups": ("项目分组", (("code", "编码"), ("name", "名称"), ("items", "项目"), ("enabled", "启用"))),
}
ROLE_LABELS = {"cashier": "收费员", "finance": "财务", "ward_nurse": "病区护士", "admin": "管理员", "it": "信息科"}
KIND_LABELS = {"his": "HIS", "terminal": "收费终端", "kiosk": "自助机", "ward": "病区工作站"}


def _require(row: Mapping[str, Any], key: str, label: str) -> str:
    value = str(row.get(key) or "").strip()
    if not value:
        raise ConfigInputInvalid(f"请填写{label}")
    return value


def config_rows(api: TerminalApi, table: str) -> list[dict[str, Any]]:
    """Every row of a configuration table (disabled ones too)."""
    if table not in CONFIG_TABLES:
        raise ConfigInputInvalid(f"未知的基础资料：{table}")
    answer = api.terminal(methods.TERMINAL_CONFIG, {"table": table, "action": "list"})
    if not isinstance(answer, Mapping) or not isinstance(answer.get("rows"), list):
        raise ReportAnswerInvalid()
    return [dict(r) for r in answer["rows"]]


def save_config(api: TerminalApi, table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """Insert or update one row by its code; returns the row as stored."""
    _require(row, "code", "编码")
    _require(row, "name", "名称")
    return dict(api.terminal(methods.TERMINAL_CONFIG, {"table": table, "action": "save", "row": dict(row)}))


def set_config_enabled(api: TerminalApi, table: str, code: str, enabled: bool) -> dict[str, Any]:
    """Enable or disable one row."""
    return dict(api.terminal(methods.TERMINAL_CONFIG, {"table": table, "code": code,
                                                      "action": "enable" if enabled else "disable"}))


def parse_group_items(text: str) -> list[dict[str, str]]:
    """``001*2, 004`` (chargeCode[*number], comma separated) as the items of a charge-item group."""
    items = []
    for part in [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]:
        code, _, number = part.partition("*")
        items.append({"chargeCode": code.strip(), "number": number.strip() or "1"})
    if not items:
        raise ConfigInputInvalid("请填写分组项目（收费项目编码*数量，逗号分隔）")
    return items


BASE_KINDS = {"unit": "单位信息", "billKind": "票据种类", "incomeItem": "收入项目"}


def download_base_info(api: TerminalApi) -> dict[str, Any]:
    """财政基础信息下载: the server fetches unit, bill kinds and income items from the platform."""
    return dict(api.terminal(methods.TERMINAL_BASE_INFO, {"action": "download"}))


def base_info(api: TerminalApi, kind: str) -> list[dict[str, Any]]:
    """The downloaded rows of one kind (unit / billKind / incomeItem)."""
    if kind not in BASE_KINDS:
        raise ConfigInputInvalid(f"未知的基础信息类型：{kind}")
    answer = api.terminal(methods.TERMINAL_BASE_INFO, {"action": "list", "kind": kind})
    if not isinstance(answer, Mapping) or not isinstance(answer.get("rows"), list):
        raise ReportAnswerInvalid()
    return [dict(r) for r in answer["rows"]]


def users(api: TerminalApi, action: str = "list", **fields: str) -> Any:
    """``manageUsers``: list, create (username, name, role), role, disable, enable, reset."""
    if action != "list":
        _require(fields, "username", "用户名")
    if action == "create":
        _require(fields, "name", "姓名")
    if action in ("create", "role") and fields.get("role") not in ROLE_LABELS:
        raise ConfigInputInvalid(f"角色必须是：{'、'.join(ROLE_LABELS.values())}")
    return api.terminal(methods.TERMINAL_USERS, {"action": action, **fields})


def callers(api: TerminalApi, action: str = "list", **fields: Any) -> Any:
    """``manageCallers``: list, create (appid, name, kind, placeCodes), grant, disable, enable, rotate."""
    if action != "list":
        _require(fields, "appid", "调用方编号")
    if action == "create" and fields.get("kind") not in KIND_LABELS:
        raise ConfigInputInvalid(f"类型必须是：{'、'.join(KIND_LABELS)}")
    return api.terminal(methods.TERMINAL_CALLERS, {"action": action, **fields})


@dataclass(slots=True)
class AuditPage:
    """One page of the audit log and the whole chain's verification."""

    rows: list[dict[str, str]]
    row_count: int
    chain_ok: bool
    chain_rows: int
    broken_id: str
    reason: str

    @property
    def chain_text(self) -> str:
        if self.chain_ok:
            return f"审计链校验通过（共{self.chain_rows}条）"
        return f"审计链校验失败：第{self.broken_id}条 {self.reason}"


def audit_page(api: TerminalApi, date_from: date, date_to: date, page: int = 1, page_size: int = 100,
               **filters: str) -> AuditPage:
    """``auditLog``: one page (newest first) and the chain state."""
    if date_to < date_from:
        raise ConfigInputInvalid("结束日期不能早于开始日期")
    data = {"dateFrom": date_from.isoformat(), "dateTo": date_to.isoformat(), "page": str(page),
            "pageSize": str(page_size), **{k: v for k, v in filters.items() if v}}
    ans = api.terminal(methods.TERMINAL_AUDIT, data)
    try:
        chain = ans["chain"]
        return AuditPage([dict(r) for r in ans["rows"]], int(ans["rowCount"]), chain["ok"] == "1",
                         int(chain["rows"]), str(chain["brokenId"]), str(chain["reason"]))
    except (KeyError, TypeError, ValueError):
        raise ReportAnswerInvalid() from None
