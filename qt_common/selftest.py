"""``--self-test`` of the terminal apps (cashier_app, kiosk_app): is this installation whole?

Hospital IT runs it after installing a bundle or the .deb on a window or kiosk, and the
packaging tests run it on the built bundle. A bundle that lost the CJK font, a Qt plugin, a
migration of the local store or a C extension fails here with the piece named, instead of
showing empty boxes (or nothing) to the first patient. Checks, one line each (通过 / 失败):

1. the pinned CJK font loads and has a glyph for every character of a bill's title and a
   Chinese amount;
2. a print job with Chinese text and a QR code renders through QPainter to a PNG, and the
   text really left ink (a missing font or image plugin draws nothing);
3. the terminal's local store opens in a temporary directory and applies every migration;
4. the national crypto (SM2 sign/verify, SM3) works on the configured backend.

Runs offscreen; touches nothing outside its temporary directory. Exit 0 when every check passed.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

SAMPLE_TEXT = "医疗收费电子票据 门诊 壹佰贰拾叁元肆角伍分 ￥123.45"


def _font() -> str:
    from PySide6.QtGui import QFont, QFontMetrics

    from print_templates.fonts import FONT_PATH, register_font

    family = register_font()
    metrics = QFontMetrics(QFont(family))
    missing = [ch for ch in SAMPLE_TEXT if not ch.isspace() and not metrics.inFontUcs4(ord(ch))]
    if missing:
        raise AssertionError(f"字体缺少字形：{''.join(missing)}")
    return f"{family}（{FONT_PATH}）"


def _render(work: Path) -> str:
    from billing_core.printjob import PrintJob, QrCode, Text
    from print_templates.render_qt import render_images, write_png

    job = PrintJob(title="自检", width_mm=80, elements=[Text(SAMPLE_TEXT, bold=True), QrCode("01,自检,0,0,0,0")])
    images = render_images(job, dpi=100)
    if not images:
        raise AssertionError("渲染结果为空")
    image = images[0]
    inked = sum(1 for y in range(0, image.height(), 2) for x in range(0, image.width(), 2)
                if image.pixelColor(x, y).lightness() < 128)
    if inked < 200:  # the text and the QR leave thousands of dark pixels; an empty page leaves none
        raise AssertionError(f"渲染的页面几乎空白（深色像素 {inked}）")
    paths = write_png(job, work / "selftest", dpi=100)
    return f"{image.width()}x{image.height()}，{paths[0].name}"


def _store(work: Path) -> str:
    from offline_store import open_store
    from offline_store.migrations import applied_migrations

    db = open_store(str(work / "store" / "terminal.db"))
    try:
        applied = applied_migrations(db)
    finally:
        db.close()
    if not applied:
        raise AssertionError("本地数据库没有应用任何迁移")
    return f"{len(applied)} 个迁移"


def _crypto() -> str:
    from billing_core.crypto import SM2PrivateKey, get_backend, sm2_sign, sm2_verify, sm3_hex

    if not sm3_hex(b"abc").startswith("66c7f0f4"):
        raise AssertionError("SM3 摘要与国标示例不符")
    key = SM2PrivateKey.generate()
    if not sm2_verify(key.public_key, b"selftest", sm2_sign(key, b"selftest")):
        raise AssertionError("SM2 签名未通过验签")
    return f"后端 {get_backend().name}"


def run(app_title: str) -> int:
    """Run every check for the app called ``app_title``; print one line each; 0 when all passed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qt_common.qt import QApplication

    app = QApplication.instance() or QApplication([app_title])
    failed = 0
    with tempfile.TemporaryDirectory(prefix="ebill-selftest-") as tmp:
        checks: list[tuple[str, Callable[[], str]]] = [
            ("中文字体", _font),
            ("打印渲染", lambda: _render(Path(tmp))),
            ("本地数据库", lambda: _store(Path(tmp))),
            ("国密算法", _crypto),
        ]
        for title, check in checks:
            try:
                detail = check()
            except Exception as exc:  # noqa: BLE001 - each failure is reported, then the next check runs
                failed += 1
                print(f"失败  {title}：{type(exc).__name__}: {exc}")
                traceback.print_exc(limit=3)
            else:
                print(f"通过  {title}（{detail}）")
    del app
    print(f"{app_title} 自检通过" if not failed else f"{app_title} 自检失败：{failed} 项")
    return 1 if failed else 0
