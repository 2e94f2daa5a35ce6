"""Unit tests of the finance simulator's pure parts: QR fast path, chain, knobs, ranges, paging."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np
import pytest

from billing_core.clock import ManualClock
from billing_core.qr_payload import BillQr, parse
from simulators.finance import chain, render
from simulators.finance.errors import SimError
from simulators.finance.h_recon import _ranges
from simulators.finance.platform import Faults, page
from simulators.finance.store import SCHEMA, Store

pytestmark = pytest.mark.unit


def test_fast_qr_png_decodes_to_the_payload() -> None:
    text = BillQr("44060226", "0001000001", "afe91d", Decimal("128.50"), "20261123").text()
    png = render.qr_png(text)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert img is not None and img.shape[0] == img.shape[1]
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert parse(decoded) == parse(text)


def test_notice_png_and_pdf() -> None:
    bill = {"total_amt": "-12.50", "bill_name": "医疗收费电子票据", "kind": "red", "bill_batch_code": "44060226",
            "bill_no": "0001000002", "random": "a1b2c3", "create_time": "20261123090000000", "payer": "张三",
            "bus_no": "B1", "place_code": "001"}
    lines = dict(render.notice_lines(bill))
    assert lines["票据名称"].endswith("（红字）") and lines["金额合计（小写）"] == "¥-12.50"
    text = BillQr("44060226", "0001000002", "a1b2c3", Decimal("12.50"), "20261123").text()
    png = render.notice_png(bill, [{"chargeName": "西药费", "number": "1", "std": "12.50", "amt": "12.50"}], text)
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imdecode(np.frombuffer(png, np.uint8), 0))
    assert decoded == text
    assert render.layout_pdf(bill, [], text).startswith(b"%PDF")


def _bill_row(db: sqlite3.Connection, no: str, kind: str = "blue", blue_id: int | None = None) -> int:
    cur = db.execute(
        "INSERT INTO bills (doc, kind, method, bill_code, bill_name, bill_batch_code, bill_no, random, bus_no,"
        " bus_type, bus_date_time, place_code, appid, payer, total_amt, create_time, blue_id, data_json)"
        " VALUES ('bill', ?, 'm', '0601', 'n', '44060226', ?, 'abcdef', ?, '02', 't', '001', 'a', 'p', '1.00', 't',"
        " ?, '{}')", (kind, no, f"B{no}" if kind == "blue" else f"R{no}", blue_id))
    return int(cur.lastrowid or 0)


def test_chain_append_and_verify_in_memory() -> None:
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    db.executescript(SCHEMA)
    ids = [_bill_row(db, f"{n:010d}") for n in range(1, 6)]
    for i in ids:
        chain.append(db, i, "t")
    red = _bill_row(db, "0000000099", "red", ids[0])
    chain.append(db, red, "t")
    db.execute("UPDATE bills SET is_scarlet = 1, red_id = ? WHERE id = ?", (red, ids[0]))
    assert chain.verify(db) == []
    db.execute("UPDATE bills SET payer = 'x' WHERE id = ?", (ids[2],))  # payer is content
    assert any("篡改" in p for p in chain.verify(db))
    db.execute("UPDATE bills SET payer = 'p' WHERE id = ?", (ids[2],))
    assert chain.verify(db) == []
    db.execute("UPDATE bills SET is_prt_paper = 1 WHERE id = ?", (ids[3],))  # later state is not content
    assert chain.verify(db) == []
    _bill_row(db, "0000000100")  # a bill that never went on the chain
    assert any("未上链" in p for p in chain.verify(db))


def test_chain_command_usage_and_missing_dir(tmp_path: Path) -> None:
    assert chain.main(["verify"]) == 2
    assert chain.main(["verify", str(tmp_path)]) == 2
    Store(tmp_path, ManualClock()).close()
    assert chain.main(["verify", str(tmp_path)]) == 0


def test_faults_update_validates() -> None:
    f = Faults()
    f.update({"latency": "0.5", "drop_response": 2, "drop_methods": ["a"], "duplicate_busno": "reject"})
    assert f.as_dict()["latency"] == 0.5 and f.drop_response == 2 and f.duplicate_busno == "reject"
    for bad in ({"error_rate": 1.5}, {"latency": -1}, {"duplicate_busno": "x"}, {"what": 1}):
        with pytest.raises(ValueError):
            f.update(bad)


def test_ranges_fold_consecutive_numbers() -> None:
    rows = [{"bus_type": "02", "place_code": "001", "bill_batch_code": "B", "bill_no": f"{n:010d}", "bill_name": "n",
             "total_amt": "1.00"} for n in (1, 2, 3, 5, 6)]
    got = [(r["bgnNo"][-1], r["endNo"][-1], r["copyNum"], r["totalAmt"]) for r in _ranges(rows)]  # type: ignore[arg-type]
    assert got == [("1", "3", 3, Decimal("3.00")), ("5", "6", 2, Decimal("2.00"))]


def test_page_bounds() -> None:
    assert page(list(range(5)), 2, 2) == [2, 3]
    with pytest.raises(SimError) as err:
        page([], 0, 10)
    assert err.value.code == "E3031"


def test_store_seeds_demo_once(tmp_path: Path) -> None:
    store = Store(tmp_path, ManualClock())
    caller = store.caller("DEMOHOSP01")
    assert caller is not None and caller.places == frozenset({"001", "002", "003", "004", "005"})
    store.close()
    (tmp_path / "demo.json").unlink()
    Store(tmp_path, ManualClock()).close()
    assert not (tmp_path / "demo.json").exists()  # seeded on first start only


def test_unsupported_list_matches_the_doc_and_handlers_cover_the_issue() -> None:
    import re

    from billing_core.methods import EXTENSIONS as EXT_METHODS
    from simulators.finance.api import UNSUPPORTED
    from simulators.finance.handlers import HANDLERS
    from sync_server.connectors.finance import ALL_METHODS

    doc = (Path(__file__).resolve().parents[3] / "docs" / "UNSUPPORTED.md").read_text(encoding="utf-8")
    documented = set()
    for row in re.findall(r"^\| ([A-Za-z, ]+) \|", doc, flags=re.MULTILINE):
        documented.update(m.strip() for m in row.split(",") if m.strip() and m.strip() != "method")
    assert documented == set(UNSUPPORTED)
    from billing_core.methods import BASE_INFO_EXTENSIONS, STOCK_EXTENSIONS

    assert set(ALL_METHODS) | set(EXT_METHODS) | STOCK_EXTENSIONS | BASE_INFO_EXTENSIONS == set(HANDLERS)
    assert not set(HANDLERS) & set(UNSUPPORTED)
