"""``python -m sync_server insurance reconcile --day yyyy-MM-dd``: the insurance reconciliation
(3201 per insutype / clr_type, 3202 on mismatch; sync_server/insurance/reconcile.py) for one day;
exit 1 when not clean, 2 when the platform could not be asked."""

from __future__ import annotations

import json
from datetime import timedelta

from billing_core.clock import date10
from sync_server.cli import common
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.insurance.reconcile import run


def main(argv: list[str] | None = None) -> int:
    """``python -m sync_server insurance reconcile [--day yyyy-MM-dd] [--insurance-url URL]``."""
    parser = common.parser("insurance", "医保对账：当日本地结算与医保平台对总账（3201），不平时对明细（3202）")
    parser.add_argument("action", choices=["reconcile"], help="reconcile：对账")
    parser.add_argument("--day", help="结算日期 yyyy-MM-dd，默认昨天")
    parser.add_argument("--insurance-url", help="医保平台地址（默认取配置）")
    args = parser.parse_args(argv)
    if args.insurance_url:
        args.extra_overrides = {"insurance_url": args.insurance_url}
    ctx = common.context(args)
    try:
        if ctx.insurance is None:
            print(json.dumps({"error": "未配置医保平台（insurance_url）"}, ensure_ascii=False))
            return 2
        day = args.day or date10(ctx.clock.now() - timedelta(days=1))
        try:
            report = run(ctx, ctx.insurance, day)
        except (PlatformUnreachable, PlatformRejected) as exc:
            print(json.dumps({"day": day, "error": exc.message, "code": exc.code}, ensure_ascii=False))
            return 2
    finally:
        ctx.close()
    print(json.dumps({"day": day, "clean": report["clean"], "groups": len(report["groups"]),
                      "differences": sum(len(g["differences"]) for g in report["groups"])}, ensure_ascii=False))
    return 0 if report["clean"] else 1
