"""Insurance reconciliation (issue 16 §5): a day's local settlements against the platform.

1. The day's local lines, counted as the platform counts them for the configured
   ``insurance_recon_refd`` (``refd_setl_flag``): "1" (default) every settlement of the day —
   cancelled ones too, reversed ones never — and every cancel of the day as a negative line (the
   platform's cancel row, dated when the cancel was sent); "0" only the settlements still valid.
   Grouped by (insutype, clr_type, setl_optins) — one **3201** per group with its totals and count.
   A settlement or cancel of the day still in doubt makes the report not clean (``inDoubt``).
2. A group whose ``stmt_rslt`` is not a balanced code (configurable: ``insurance_stmt_ok``) is
   reconciled in detail: its settlements as a text file (one per line: setl_id, mdtrt_id, psn_no,
   medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag; TAB or space separated, configurable),
   zipped, uploaded by **9101**, compared by **3202**, the result file fetched by **9102** and read:
   every line (psn_no, mdtrt_id, setl_id, msgid, stmt_rslt, refd_setl_flag, memo, medfee_sumamt,
   fund_pay_sumamt, acct_pay) whose ``stmt_rslt`` is not balanced names a settlement that differs,
   with our own record of it beside it (or "本地无此结算").
3. The report goes to ``ins_recon_reports`` (audited) and ``DIR/reports/insurance-reconcile-<day>.json``.

``python -m sync_server insurance reconcile --day yyyy-MM-dd`` runs it; the terminal method
``insReconcile`` too; the worker runs yesterday's once a day (:func:`maybe_daily`).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from billing_core.clock import CST, date10, ts17
from sync_server.connectors.insurance import InsuranceClient
from sync_server.connectors.insurance_envelope import Operator
from sync_server.context import ServerContext
from sync_server.insurance import state
from sync_server.security.audit import Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.files import write_private
from sync_server.store.insurance_schema import ins_recon_reports, ins_settlements
from sync_server.store.schema import settings

#: The ``settings`` row naming the last day the worker reconciled.
LAST_DAY = "ins_recon_last_day"

RESULT_COLUMNS = ("psn_no", "mdtrt_id", "setl_id", "msgid", "stmt_rslt", "refd_setl_flag", "memo",
                  "medfee_sumamt", "fund_pay_sumamt", "acct_pay")
ZERO = Decimal("0.00")


def _clr_type(row: Mapping[str, Any]) -> str:
    return str(row["clr_type"] or ("21" if row["visit"] == "inpatient" else "11"))


#: States of a row whose settlement the platform still counts with refd_setl_flag 1 (it was
#: settled, maybe cancelled since; never reversed). A closed row counts when a cancel closed it.
_SETTLED_ONCE = (state.SETTLED, state.CANCELLING, state.CANCEL_IN_DOUBT, state.CANCELLED)


def _line(row: Mapping[str, Any], refd: str) -> dict[str, Any]:
    """One reconciliation line: a settlement (flag 0) or its cancel (flag 1, amounts negated)."""
    sign = -1 if refd == "1" else 1
    return {"setl_id": str((row["cancel_setl_id"] or row["setl_id"]) if refd == "1" else row["setl_id"]),
            "mdtrt_id": row["mdtrt_id"], "psn_no": row["psn_no"], "refd_setl_flag": refd, "row": row,
            **{k: sign * (row[k] or ZERO) for k in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay")}}


def local_groups(ctx: ServerContext, day: str, refd: str = "0") -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """The day's lines by (insutype, clr_type, setl_optins), counted as the platform's 3201 counts
    them: ``refd`` "0" the settlements of the day still valid; "1" every settlement of the day
    (cancelled ones too, reversed ones never) and every cancel of the day, negative."""
    c = ins_settlements.c
    with read_tx(ctx.engine) as conn:
        if refd == "0":
            rows = conn.execute(select(ins_settlements).where(c.settle_day == day, c.state == state.SETTLED)
                                .order_by(c.id)).mappings().all()
            lines = [_line(dict(r), "0") for r in rows]
        else:
            settled = conn.execute(select(ins_settlements).where(
                c.settle_day == day, c.setl_id.is_not(None),
                or_(c.state.in_(_SETTLED_ONCE), and_(c.state == state.CLOSED, c.cancel_day.is_not(None))))
                .order_by(c.id)).mappings().all()
            cancels = conn.execute(select(ins_settlements).where(
                c.cancel_day == day, c.state.in_((state.CANCELLED, state.CLOSED))).order_by(c.id)).mappings().all()
            lines = [_line(dict(r), "0") for r in settled] + [_line(dict(r), "1") for r in cancels]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for line in lines:
        row = line["row"]
        key = (str(row["insutype"]), _clr_type(row), str(row["clr_optins"] or row["insuplc_admdvs"]))
        groups.setdefault(key, []).append(line)
    return groups


def _sum(lines: list[dict[str, Any]], column: str) -> Decimal:
    return sum((line[column] for line in lines), ZERO)


def detail_file(lines: list[dict[str, Any]], separator: str) -> bytes:
    """The 3202 upload file's text (UTF-8), one settlement or cancel per line."""
    sep = "\t" if separator == "tab" else " "
    text = [sep.join((str(r["setl_id"]), str(r["mdtrt_id"]), str(r["psn_no"]), f"{r['medfee_sumamt']:.2f}",
                      f"{r['fund_pay_sumamt']:.2f}", f"{r['acct_pay']:.2f}", r["refd_setl_flag"])) for r in lines]
    return ("\n".join(text) + "\n").encode("utf-8")


def zipped(name: str, content: bytes) -> bytes:
    """``content`` as the one member ``name`` of a ZIP."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, content)
    return buf.getvalue()


def result_rows(zip_bytes: bytes) -> list[dict[str, str]]:
    """The 3202 result file's lines (TAB or whitespace separated; a header line skipped)."""
    out: list[dict[str, str]] = []
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        for name in zf.namelist():
            for line in zf.read(name).decode("utf-8", errors="replace").splitlines():
                cells = line.split("\t") if "\t" in line else line.split()
                if not cells or not line.strip() or cells[0] == "psn_no":
                    continue
                out.append(dict(zip(RESULT_COLUMNS, (c.strip() for c in cells), strict=False)))
    return out


def run(ctx: ServerContext, client: InsuranceClient, day: str, op: Operator | None = None,
        who: Actor | None = None) -> dict[str, Any]:
    """Reconcile ``day`` (yyyy-MM-dd); the report (also stored and written to the reports dir).

    :raises InsuranceUnreachable / InsuranceRejected: a transaction failed (nothing stored).
    """
    cfg = ctx.config
    op = op or Operator("server", "同步服务器")
    ok_codes = set(cfg.insurance_stmt_ok)
    groups_out: list[dict[str, Any]] = []
    refd = cfg.insurance_recon_refd
    local = local_groups(ctx, day, refd)
    with read_tx(ctx.engine) as conn:
        by_setl: dict[str, Mapping[str, Any]] = {}
        for r in conn.execute(select(ins_settlements.c.id, ins_settlements.c.setl_id, ins_settlements.c.cancel_setl_id,
                                     ins_settlements.c.state, ins_settlements.c.settle_msgid,
                                     ins_settlements.c.medfee_sumamt)
                              .where(ins_settlements.c.setl_id.is_not(None))).mappings():
            by_setl[str(r["setl_id"])] = dict(r)
            if r["cancel_setl_id"]:
                by_setl.setdefault(str(r["cancel_setl_id"]), dict(r))
    for (insutype, clr_type, optins), rows in sorted(local.items()):
        totals = {"medfee_sumamt": _sum(rows, "medfee_sumamt"), "fund_pay_sumamt": _sum(rows, "fund_pay_sumamt"),
                  "acct_pay": _sum(rows, "acct_pay"), "cash_payamt": _sum(rows, "psn_cash_pay")}
        stmt = client.reconcile_total(op, {
            "insutype": insutype, "clr_type": clr_type, "setl_optins": optins, "stmt_begndate": day,
            "stmt_enddate": day, "medfee_sumamt": str(totals["medfee_sumamt"]),
            "fund_pay_sumamt": str(totals["fund_pay_sumamt"]), "acct_pay": str(totals["acct_pay"]),
            "fixmedins_setl_cnt": len(rows), "refd_setl_flag": refd})
        group: dict[str, Any] = {
            "insutype": insutype, "clrType": clr_type, "setlOptins": optins, "count": len(rows),
            **{k: str(v) for k, v in totals.items()}, "stmtRslt": stmt.stmt_rslt, "stmtRsltDscr": stmt.stmt_rslt_dscr,
            "balanced": stmt.stmt_rslt in ok_codes, "differences": []}
        if not group["balanced"]:
            name = f"{cfg.insurance_fixmedins_code}_{day.replace('-', '')}_{insutype}_{clr_type}.txt"
            info = client.upload_file(op, name + ".zip", zipped(name, detail_file(rows, cfg.insurance_detail_separator)))
            result = client.reconcile_detail(op, {
                "setl_optins": optins, "file_qury_no": info.file_qury_no, "stmt_begndate": day, "stmt_enddate": day,
                "medfee_sumamt": str(totals["medfee_sumamt"]), "fund_pay_sumamt": str(totals["fund_pay_sumamt"]),
                "cash_payamt": str(totals["cash_payamt"]), "fixmedins_setl_cnt": len(rows), "clr_type": clr_type,
                "refd_setl_flag": refd})
            for line in result_rows(client.download_file(op, result)):
                if line.get("stmt_rslt", "") in ok_codes:
                    continue
                mine = by_setl.get(line.get("setl_id", ""))
                group["differences"].append(line | {"local": None if mine is None else {
                    "settlementId": mine["id"], "state": mine["state"], "msgid": mine["settle_msgid"],
                    "medfeeSumamt": f"{mine['medfee_sumamt'] or ZERO:.2f}"}, "localNote": "" if mine else "本地无此结算"})
        groups_out.append(group)
    with read_tx(ctx.engine) as conn:
        # settlements or cancels of the day still being resolved: their count may change
        unsure = [int(i) for i in conn.execute(select(ins_settlements.c.id).where(
            or_(ins_settlements.c.settle_day == day, ins_settlements.c.cancel_day == day,
                ins_settlements.c.updated_at.like(day.replace("-", "") + "%")),
            ins_settlements.c.state.in_(sorted(state.UNSURE)))).scalars()]
    report = {"day": day, "clean": all(g["balanced"] for g in groups_out) and not unsure, "groups": groups_out,
              "refdSetlFlag": refd, "inDoubt": unsure, "note": "" if groups_out else "当日本地无医保结算"}
    text = json.dumps(report, ensure_ascii=False, indent=1)
    with write_tx(ctx.engine) as conn:
        conn.execute(insert(ins_recon_reports).values(day=day, created_at=ts17(ctx.clock.now()),
                                                      clean=1 if report["clean"] else 0, report_json=text))
        audit(conn, ctx.clock, who or Actor("server"), "ins_reconcile", "ins_recon_report", day, None,
              {"clean": report["clean"], "groups": len(groups_out)})
    reports = Path(cfg.data_dir) / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    write_private(reports / f"insurance-reconcile-{day}.json", text)
    return report


def maybe_daily(ctx: ServerContext, client: InsuranceClient) -> bool:
    """Reconcile yesterday once a day (after 01:00 CST, so that late settlements are in); True
    when it ran. A failed run (platform unreachable or refusing) is tried again next time."""
    now = ctx.clock.now().astimezone(CST)
    if now.hour < 1:
        return False
    day = date10(now - timedelta(days=1))
    with read_tx(ctx.engine) as conn:
        last = conn.execute(select(settings.c.value).where(settings.c.name == LAST_DAY)).scalar()
    if last == day:
        return False
    run(ctx, client, day)
    with write_tx(ctx.engine) as conn:
        if last is None:
            conn.execute(insert(settings).values(name=LAST_DAY, value=day))
        else:
            conn.execute(update(settings).where(settings.c.name == LAST_DAY).values(value=day))
    return True
