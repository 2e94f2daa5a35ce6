"""First start: the demo institutions, insured persons and catalogues, and ``DIR/demo.json`` with
the gateway credentials (docs/INSURANCE.md, "Demo data")."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

#: The demo hospital: 12-character code, as msgid = fixmedins_code(12) + time(14) + serial(4).
DEMO_CODE = "H44030300001"
DEMO_NAME = "演示医院"
DEMO_PAASID = "demo_fsi_paas"
DEMO_TOKEN = "demo-insurance-pass-token-2026"
DEMO_ADMDVS = "440300"
#: A second institution: it never sees the first one's visits and settlements.
OTHER_CODE = "H44030300002"
OTHER_PAASID = "other_fsi_paas"
OTHER_TOKEN = "other-insurance-pass-token-2026"

#: Demo persons: (psn_no, certno, name, gend, brdy, card_no, card_sn, ec_token, emp, insurances)
#: insurances: (insutype, psn_type, stas, insuplc_admdvs, balc fen, cvlserv_flag)
PERSONS = [
    ("44030000000000000001", "440106199001011234", "张三", "1", "1990-01-01", "SSC440300000001", "SN0001",
     "ECT-DEMO-0001", "演示科技有限公司", [("310", "11", "1", "440300", 150000, "0")]),
    ("44030000000000000002", "440106198502023456", "李四", "2", "1985-02-02", "SSC440300000002", "SN0002",
     "ECT-DEMO-0002", "", [("390", "1401", "1", "440100", 0, "0")]),
    ("44030000000000000003", "440106194503035678", "王五", "1", "1945-03-03", "SSC440300000003", "SN0003",
     "ECT-DEMO-0003", "", [("340", "12", "1", "440300", 500000, "0")]),
    # employee insurance ended (stas 4), now a resident: the client must pick the stas 1 row
    ("44030000000000000004", "440106200004047890", "赵六", "2", "2000-04-04", "SSC440300000004", "SN0004",
     "ECT-DEMO-0004", "", [("310", "11", "4", "440300", 2000, "0"), ("390", "1401", "1", "440300", 0, "0")]),
    # a civil servant with a small balance (account runs out before the person part)
    ("44030000000000000005", "440106197805051111", "钱七", "1", "1978-05-05", "SSC440300000005", "SN0005",
     "ECT-DEMO-0005", "演示区政府", [("310", "11", "1", "440300", 1000, "1")]),
]

#: Catalogue rows: (list_type, code, name, lv, selfpay_prop, pric_uplmt, spec)
CATALOGUE = [
    ("1301", "XJ01CAA040A001010101445", "阿莫西林胶囊", "01", "0", "0.50", "0.25g*24粒"),
    ("1301", "XR05CBA037A001010100794", "氨溴索口服溶液", "02", "0.10", "30.00", "100ml"),
    ("1301", "XA11JBV176A001020100001", "复合维生素片", "03", "1", None, "60片"),
    ("1302", "T001700643", "黄芪饮片", "02", "0.20", None, "1g"),
    ("1305", "110200001", "普通门诊诊查费", "01", "0", "10.00", "次"),
    ("1305", "250101015", "血常规检查", "01", "0", "25.00", "次"),
    ("1305", "330100001", "全身麻醉", "02", "0.10", None, "次"),
    ("1305", "120100001", "床位费（三人间）", "01", "0", "60.00", "日"),
    ("1306", "C0101010010100101025", "一次性使用输液器", "02", "0.30", "8.00", "个"),
    ("1307", "J18.900", "肺炎", "01", "0", None, ""),
    ("1307", "K35.800", "急性阑尾炎", "01", "0", None, ""),
]
FIRST_VER = "20260101000000001"


def seed(db: sqlite3.Connection, data_dir: Path) -> None:
    """Insert the demo data (first start only) and write DIR/demo.json."""
    if db.execute("SELECT COUNT(*) FROM institutions").fetchone()[0]:
        return
    db.execute("INSERT INTO institutions VALUES (?, ?, ?, ?, ?, '03')",
               (DEMO_CODE, DEMO_NAME, DEMO_PAASID, DEMO_TOKEN, DEMO_ADMDVS))
    db.execute("INSERT INTO institutions VALUES (?, ?, ?, ?, ?, '02')",
               (OTHER_CODE, "演示第二医院", OTHER_PAASID, OTHER_TOKEN, DEMO_ADMDVS))
    for psn_no, certno, name, gend, brdy, card, sn, ect, emp, insus in PERSONS:
        db.execute("INSERT INTO persons VALUES (?, '01', ?, ?, ?, '01', ?, ?, ?, ?, ?)",
                   (psn_no, certno, name, gend, brdy, card, sn, ect, emp))
        for insutype, psn_type, stas, plc, balc, cvl in insus:
            db.execute("INSERT INTO insurances VALUES (?, ?, ?, ?, '2015-01-01', ?, ?, ?, ?)",
                       (psn_no, insutype, psn_type, stas, None if stas == "1" else "2025-12-31", cvl, plc, balc))
    db.execute("INSERT INTO identities VALUES (?, '2201', '1', '离休干部', '2005-01-01 00:00:00', NULL)",
               (PERSONS[2][0],))
    for row in CATALOGUE:
        db.execute("INSERT INTO catalogue VALUES (?, ?, ?, ?, ?, ?, ?, ?, '1')", (*row, FIRST_VER))
    demo = {
        "gateway": {"header_paasid": "x-tif-paasid", "signature": "sha256(timestamp + pass_token + nonce + timestamp)"},
        "institutions": [
            {"fixmedins_code": DEMO_CODE, "fixmedins_name": DEMO_NAME, "paasid": DEMO_PAASID,
             "pass_token": DEMO_TOKEN, "mdtrtarea_admvs": DEMO_ADMDVS},
            {"fixmedins_code": OTHER_CODE, "fixmedins_name": "演示第二医院", "paasid": OTHER_PAASID,
             "pass_token": OTHER_TOKEN, "mdtrtarea_admvs": DEMO_ADMDVS},
        ],
        "persons": [{"psn_no": p[0], "certno": p[1], "psn_name": p[2], "card_no": p[5], "card_sn": p[6],
                     "ec_token": p[7], "insutypes": [i[0] for i in p[9]],
                     "insuplc_admdvs": next(i[3] for i in p[9] if i[2] == "1")} for p in PERSONS],
        "catalogue": [{"list_type": c[0], "code": c[1], "name": c[2], "lv": c[3]} for c in CATALOGUE],
    }
    (data_dir / "demo.json").write_text(json.dumps(demo, ensure_ascii=False, indent=2), encoding="utf-8")
