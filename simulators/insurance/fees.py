"""Fee-detail upload and cancel, shared by outpatient (2204/2205) and inpatient (2301/2302): each
line is checked against the catalogue and split by the engine on upload (the ``result`` node)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from simulators.insurance import engine
from simulators.insurance.context import Ctx, store_json
from simulators.insurance.envelope import datetime_field, decimal, fen, opt, req, yuan
from simulators.insurance.errors import InsFailure

LV_NAMES = {engine.LV_A: "甲类", engine.LV_B: "乙类", engine.LV_C: "丙类"}


def catalogue_item(db: sqlite3.Connection, code: str) -> sqlite3.Row | None:
    """The newest valid version of a catalogue code (any list type)."""
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM catalogue WHERE code = ? ORDER BY ver DESC LIMIT 1", (code,)).fetchone()
    return row if row is not None and row["vali_flag"] == "1" else None


def upload(ctx: Ctx, lines: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Store the lines of one request (all or nothing); the ``result`` rows."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    visits: dict[str, sqlite3.Row] = {}
    ids: list[int] = []
    for i, line in enumerate(lines, 1):
        where = f"feedetail第{i}条."
        sn = req(line, "feedetl_sn", where)
        mdtrt_id = req(line, "mdtrt_id", where)
        psn_no = req(line, "psn_no", where)
        visit = visits.get(mdtrt_id) or ctx.visit(mdtrt_id, psn_no, kind)
        visits[mdtrt_id] = visit
        if visit["psn_no"] != psn_no:
            raise InsFailure(f"{where}人员编号psn_no与就诊ID不符")
        # inpatient lines may still come after the discharge registration (before the final settlement)
        if visit["state"] != "open" and not (kind == engine.IPT and visit["state"] == "discharged"):
            raise InsFailure(f"{where}就诊ID{mdtrt_id}已{'撤销' if visit['state'] == 'cancelled' else '出院'}，不能上传费用")
        if f"{mdtrt_id}|{sn}" in seen or ctx.db.execute(
                "SELECT 1 FROM fees WHERE mdtrt_id = ? AND feedetl_sn = ? AND state != 'cancelled'",
                (mdtrt_id, sn)).fetchone():
            raise InsFailure(f"{where}费用明细流水号feedetl_sn（{sn}）在本次就诊中重复")
        seen.add(f"{mdtrt_id}|{sn}")
        bchno = req(line, "chrg_bchno", where) if kind == engine.OTP else opt(line, "chrg_bchno")
        code = req(line, "med_list_codg", where)
        item = catalogue_item(ctx.db, code)
        if item is None:
            raise InsFailure(f"{where}医疗目录编码med_list_codg（{code}）在医保目录中不存在或已失效")
        amount = fen(line, "det_item_fee_sumamt", where)
        cnt = decimal(line, "cnt", 4, where)
        pric = decimal(line, "pric", 6, where)
        if abs(cnt * pric * 100 - amount) > 1:
            raise InsFailure(f"{where}明细项目费用总额det_item_fee_sumamt（{yuan(amount)}）与数量×单价不符")
        if (amount < 0 or cnt < 0) and kind == engine.OTP:
            raise InsFailure(f"{where}门诊费用明细的数量和金额不能为负")
        if amount < 0:
            init = opt(line, "init_feedetl_sn")
            if not init:
                raise InsFailure(f"{where}退费明细（负数）必须填写原费用明细流水号init_feedetl_sn")
            orig = ctx.db.execute("SELECT med_list_codg FROM fees WHERE mdtrt_id = ? AND feedetl_sn = ?"
                                  " AND state != 'cancelled'", (mdtrt_id, init)).fetchone()
            if orig is None or orig["med_list_codg"] != code:
                raise InsFailure(f"{where}原费用明细流水号init_feedetl_sn（{init}）不存在或项目不一致")
        when = datetime_field(line, "fee_ocur_time", where)
        prop = Decimal(item["selfpay_prop"])
        limit = Decimal(item["pric_uplmt"]) if item["pric_uplmt"] is not None else None
        split = engine.split_line(amount, cnt, pric, item["lv"], prop, limit)
        cur = ctx.db.execute(
            "INSERT INTO fees (mdtrt_id, feedetl_sn, chrg_bchno, med_list_codg, medins_list_codg, fee_ocur_time, cnt,"
            " pric, amount, fulamt_ownpay, overlmt, preselfpay, inscp, lv, selfpay_prop, pric_uplmt, state, msgid,"
            " detail_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'up', ?, ?)",
            (mdtrt_id, sn, bchno, code, opt(line, "medins_list_codg"), when, str(cnt), str(pric), amount,
             split.fulamt_ownpay, split.overlmt, split.preselfpay, split.inscp, item["lv"], item["selfpay_prop"],
             item["pric_uplmt"], ctx.env.msgid, store_json(line)))
        ids.append(int(cur.lastrowid or 0))
        out.append({
            "feedetl_sn": sn, "det_item_fee_sumamt": yuan(amount), "cnt": cnt, "pric": pric,
            "pric_uplmt_amt": limit, "selfpay_prop": prop.quantize(Decimal("0.0001")),
            "fulamt_ownpay_amt": yuan(split.fulamt_ownpay), "overlmt_amt": yuan(split.overlmt),
            "preselfpay_amt": yuan(split.preselfpay), "inscp_scp_amt": yuan(split.inscp), "chrgitm_lv": item["lv"],
            "med_chrgitm_type": _chrgitm_type(item["list_type"]), "bas_medn_flag": "0", "hi_nego_drug_flag": "0",
            "chld_medc_flag": "0", "list_sp_item_flag": "0", "lmt_used_flag": "0", "drt_reim_flag": "0",
            "memo": LV_NAMES.get(item["lv"], "")})
    ctx.effect = {"fee_ids": ids}
    return out


def _chrgitm_type(list_type: str) -> str:
    """med_chrgitm_type from the catalogue: 09 西药, 10 中成药/饮片, 05 诊疗, 08 材料 (simplified)."""
    return {"1301": "09", "1302": "11", "1305": "05", "1306": "08"}.get(list_type, "14")


def cancel(ctx: Ctx, mdtrt_id: str, psn_no: str, selector: str, by: str, kind: str) -> int:
    """Cancel unsettled lines of a visit: ``by`` is chrg_bchno or feedetl_sn; "0000" = all unsettled."""
    visit = ctx.visit(mdtrt_id, psn_no, kind)
    if visit["state"] == "cancelled":
        raise InsFailure(f"就诊ID{mdtrt_id}已撤销")
    if selector == "0000":
        cur = ctx.db.execute("UPDATE fees SET state = 'cancelled' WHERE mdtrt_id = ? AND state = 'up'", (mdtrt_id,))
        return int(cur.rowcount)
    rows = list(ctx.db.execute(f"SELECT state FROM fees WHERE mdtrt_id = ? AND {by} = ? AND state != 'cancelled'",  # noqa: S608
                               (mdtrt_id, selector)))
    if not rows:
        raise InsFailure(f"{by}（{selector}）没有可撤销的费用明细")
    if any(r["state"] == "settled" for r in rows):
        raise InsFailure(f"{by}（{selector}）的费用明细已结算，请先撤销结算")
    ctx.db.execute(f"UPDATE fees SET state = 'cancelled' WHERE mdtrt_id = ? AND {by} = ? AND state = 'up'",  # noqa: S608
                   (mdtrt_id, selector))
    return len(rows)
