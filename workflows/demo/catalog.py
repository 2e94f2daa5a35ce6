"""The demo hospital's charge-item catalog (demo mode and tests; a real window downloads the
server's catalog through :func:`workflows.catalog.server_catalog`)."""

from __future__ import annotations

from decimal import Decimal

from workflows.catalog import Catalog, ChargeItemDef, PayChannelDef


def demo_catalog() -> Catalog:
    """The demo hospital's catalog (demo mode and tests)."""
    d = Decimal
    items = [
        ChargeItemDef("101", "挂号费", "次", d("1.00"), "GHF"),
        ChargeItemDef("102", "诊查费", "次", d("10.00"), "ZCF"),
        ChargeItemDef("201", "西药费", "项", d("0.00"), "XYF"),
        ChargeItemDef("202", "中成药费", "项", d("0.00"), "ZCYF"),
        ChargeItemDef("203", "中草药费", "项", d("0.00"), "ZCYF"),
        ChargeItemDef("301", "化验费", "项", d("25.00"), "HYF"),
        ChargeItemDef("302", "检查费", "项", d("80.00"), "JCF"),
        ChargeItemDef("303", "放射费", "项", d("120.00"), "FSF"),
        ChargeItemDef("401", "治疗费", "项", d("30.00"), "ZLF"),
        ChargeItemDef("402", "手术费", "项", d("500.00"), "SSF"),
        ChargeItemDef("403", "卫生材料费", "项", d("0.00"), "WSCLF"),
        ChargeItemDef("501", "床位费", "日", d("40.00"), "CWF"),
        ChargeItemDef("502", "护理费", "日", d("20.00"), "HLF"),
        ChargeItemDef("601", "体检费", "次", d("200.00"), "TJF"),
        ChargeItemDef("901", "往来款", "笔", d("0.00"), "WLK"),
        ChargeItemDef("902", "捐赠款", "笔", d("0.00"), "JZK"),
    ]
    chans = [PayChannelDef("02", "现金"), PayChannelDef("01", "POS"), PayChannelDef("05", "微信"),
             PayChannelDef("04", "支付宝"), PayChannelDef("03", "转账"), PayChannelDef("11", "医保")]
    return Catalog(items, chans)
