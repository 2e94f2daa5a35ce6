"""The demo hospital's fixed data: departments, doctors, slot types and fees, drugs, exams and ward
fees, and the slot generator (today and the next 7 days, created on demand so a simulator that
restarts on a later day still has slots to book).

Charge codes are the demo hospital's finance items (the sync server's demo catalog:
101 挂号费, 102 诊查费, 201 西药费, 202 中成药费, 301 化验费, 302 检查费, 303 放射费, 401 治疗费,
403 卫生材料费, 501 床位费, 502 护理费) plus 199 工本费 for the hospital card.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

#: Days ahead (after today) that can be booked.
BOOKING_DAYS = 7

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("NK", "内科", "门诊楼2层A区"), ("WK", "外科", "门诊楼2层B区"), ("EK", "儿科", "门诊楼1层C区"),
    ("FCK", "妇产科", "门诊楼3层A区"), ("YK", "眼科", "门诊楼3层B区"), ("JZK", "急诊科", "急诊楼1层"),
)

#: code, dept, name, title, expert (an expert holds 专家 slots of his own)
DOCTORS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("D101", "NK", "王建国", "主任医师", True), ("D102", "NK", "李秀英", "主治医师", False),
    ("D103", "NK", "周海峰", "副主任医师", True),
    ("D201", "WK", "陈志强", "主任医师", True), ("D202", "WK", "杨帆", "住院医师", False),
    ("D301", "EK", "赵敏", "副主任医师", True), ("D302", "EK", "孙丽", "主治医师", False),
    ("D401", "FCK", "吴晓燕", "主任医师", True), ("D402", "FCK", "郑佳", "主治医师", False),
    ("D501", "YK", "冯明", "副主任医师", True), ("D502", "YK", "何静", "住院医师", False),
    ("D601", "JZK", "马超", "主治医师", False), ("D602", "JZK", "朱琳", "主治医师", False),
)

#: slot type -> fee lines (chargeCode, chargeName, item name, fen)
SLOT_FEES: dict[str, tuple[tuple[str, str, str, int], ...]] = {
    "普通": (("101", "挂号费", "普通挂号费", 100), ("102", "诊查费", "普通门诊诊查费", 1000)),
    "专家": (("101", "挂号费", "专家挂号费", 100), ("102", "诊查费", "专家门诊诊查费", 3000)),
    "急诊": (("101", "挂号费", "急诊挂号费", 100), ("102", "诊查费", "急诊诊查费", 1500)),
}
SLOT_TYPES = tuple(SLOT_FEES)

#: code, name, spec, unit, price fen, chargeCode, chargeName, list type
DRUGS: tuple[tuple[str, str, str, str, int, str, str, str], ...] = (
    ("X0001", "阿莫西林胶囊", "0.25g*24粒", "盒", 1850, "201", "西药费", "抗感染药"),
    ("X0002", "头孢克肟分散片", "0.1g*6片", "盒", 3260, "201", "西药费", "抗感染药"),
    ("X0003", "布洛芬缓释胶囊", "0.3g*20粒", "盒", 1580, "201", "西药费", "解热镇痛药"),
    ("X0004", "氨溴索口服溶液", "100ml", "瓶", 2240, "201", "西药费", "呼吸系统用药"),
    ("X0005", "奥美拉唑肠溶胶囊", "20mg*14粒", "盒", 2650, "201", "西药费", "消化系统用药"),
    ("X0006", "硝苯地平控释片", "30mg*7片", "盒", 3380, "201", "西药费", "心血管用药"),
    ("X0007", "二甲双胍缓释片", "0.5g*30片", "盒", 2960, "201", "西药费", "内分泌用药"),
    ("X0008", "阿托伐他汀钙片", "20mg*7片", "盒", 4120, "201", "西药费", "心血管用药"),
    ("X0009", "氯雷他定片", "10mg*6片", "盒", 1830, "201", "西药费", "抗过敏药"),
    ("X0010", "蒙脱石散", "3g*10袋", "盒", 1560, "201", "西药费", "消化系统用药"),
    ("X0011", "左氧氟沙星滴眼液", "5ml", "支", 2180, "201", "西药费", "眼科用药"),
    ("X0012", "0.9%氯化钠注射液", "250ml", "袋", 450, "201", "西药费", "电解质平衡药"),
    ("X0013", "葡萄糖注射液", "5%*250ml", "袋", 520, "201", "西药费", "电解质平衡药"),
    ("X0014", "维生素C片", "0.1g*100片", "瓶", 680, "201", "西药费", "维生素类"),
    ("Z0001", "连花清瘟胶囊", "0.35g*24粒", "盒", 2680, "202", "中成药费", "中成药"),
    ("Z0002", "板蓝根颗粒", "10g*20袋", "包", 1590, "202", "中成药费", "中成药"),
    ("Z0003", "复方丹参滴丸", "27mg*180丸", "瓶", 3350, "202", "中成药费", "中成药"),
    ("Z0004", "藿香正气水", "10ml*10支", "盒", 1280, "202", "中成药费", "中成药"),
    ("Z0005", "六味地黄丸", "200丸", "瓶", 2450, "202", "中成药费", "中成药"),
    ("Z0006", "云南白药气雾剂", "85g+30g", "盒", 4880, "202", "中成药费", "中成药"),
    ("X0015", "一次性输液器", "带针", "套", 350, "403", "卫生材料费", "卫生材料"),
)

#: code, name, spec, unit, price fen, chargeCode, chargeName
EXAMS: tuple[tuple[str, str, str, str, int, str, str], ...] = (
    ("J0001", "血常规", "五分类", "次", 2500, "301", "化验费"),
    ("J0002", "肝功能", "八项", "次", 6000, "301", "化验费"),
    ("J0003", "胸部正位片", "DR", "次", 12000, "303", "放射费"),
    ("J0004", "腹部彩超", "肝胆胰脾", "次", 8000, "302", "检查费"),
    ("J0005", "头颅CT平扫", "64排", "次", 28000, "303", "放射费"),
    ("J0006", "心电图", "十二导联", "次", 2500, "302", "检查费"),
)

#: code, name, spec, unit, price fen, chargeCode, chargeName — billed every day in hospital
WARD_DAILY: tuple[tuple[str, str, str, str, int, str, str], ...] = (
    ("C0001", "普通病房床位费", "三人间", "日", 4000, "501", "床位费"),
    ("C0002", "二级护理", "", "日", 2000, "502", "护理费"),
)
#: occasional inpatient items (drugs and treatments on top of the daily ones)
WARD_EXTRA: tuple[tuple[str, str, str, str, int, str, str], ...] = (
    ("T0001", "静脉输液", "第一组", "次", 1500, "401", "治疗费"),
    ("X0012", "0.9%氯化钠注射液", "250ml", "袋", 450, "201", "西药费"),
    ("X0002", "头孢克肟分散片", "0.1g*6片", "盒", 3260, "201", "西药费"),
    ("J0001", "血常规", "五分类", "次", 2500, "301", "化验费"),
)

CARD_FEE_CODE = ("199", "工本费", "就诊卡工本费")


def ensure_slots(db: sqlite3.Connection, day: date) -> None:
    """Create the day's slots when missing (idempotent): per department 普通 上午/下午, one 专家
    上午 slot per expert, and 急诊 全天 in 急诊科."""
    text = day.isoformat()
    if db.execute("SELECT 1 FROM slots WHERE day = ? LIMIT 1", (text,)).fetchone():
        return
    rows: list[tuple[str, str, str, str, str, int]] = []
    for code, _name, _loc in DEPARTMENTS:
        if code == "JZK":
            rows.append((code, "", text, "全天", "急诊", 99))
            continue
        rows.append((code, "", text, "上午", "普通", 30))
        rows.append((code, "", text, "下午", "普通", 30))
        for dcode, dept, _n, _t, expert in DOCTORS:
            if dept == code and expert:
                rows.append((code, dcode, text, "上午", "专家", 10))
    db.executemany("INSERT OR IGNORE INTO slots (dept_code, doctor_code, day, period, type, total, remaining)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)", [(*r, r[-1]) for r in rows])


def bookable_days(today: date) -> list[date]:
    """Today and the next :data:`BOOKING_DAYS` days."""
    return [today + timedelta(days=i) for i in range(BOOKING_DAYS + 1)]
