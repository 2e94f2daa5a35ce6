"""Preview CLI: ``python -m print_templates.preview DOC SAMPLE.json --out DIR`` writes PDF and PNG.

Files are named ``<DOC>-<sample stem>[-<width>mm].pdf`` / ``.png`` (``-p<n>`` per sheet for
multi-page documents). Errors print their code and Chinese message and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from billing_core.errors import BillingError
from billing_core.printjob import PageJob, PrintJob
from print_templates.forms import calibrate, load_calibration
from print_templates.paper_bill import paper_bill_job
from print_templates.registry import DOCUMENTS, build, document
from print_templates.render_qt import write_pdf, write_png


def preview(doc: str, sample_path: Path, out: Path, width_mm: int = 80, dpi: int = 100, *,
            stock: bool = False, calibration: Path | None = None, printer: str = "") -> list[Path]:
    """Render ``doc`` for the sample file into ``out``; returns the written files.

    For ``paper_bill``: ``stock`` leaves out the pre-printed background (what goes on real
    stock) and ``calibration`` + ``printer`` apply that printer's offsets (forms.Calibration).
    """
    sample = json.loads(sample_path.read_text(encoding="utf-8"))
    job: PageJob | PrintJob
    if doc == "paper_bill":
        job = paper_bill_job(sample, background=not stock)
        if calibration is not None:
            job = calibrate(job, load_calibration(calibration, printer))
    else:
        job = build(doc, sample, width_mm)
    suffix = f"-{width_mm}mm" if document(doc).thermal else ""
    stem = out / f"{doc}-{sample_path.stem}{suffix}"
    return [write_pdf(job, stem.with_suffix(".pdf")), *write_png(job, stem, dpi)]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m print_templates.preview", description="打印预览：生成PDF和PNG")
    parser.add_argument("doc", help="单据类型：" + ", ".join(DOCUMENTS))
    parser.add_argument("sample", type=Path, help="样例数据JSON文件")
    parser.add_argument("--out", type=Path, required=True, help="输出目录")
    parser.add_argument("--width", type=int, default=80, choices=(58, 80), help="热敏纸宽度（毫米）")
    parser.add_argument("--dpi", type=int, default=100, help="PNG分辨率")
    parser.add_argument("--stock", action="store_true", help="纸质票据：只打印内容（套打在预印票据上）")
    parser.add_argument("--calibration", type=Path, help="纸质票据：打印机校准文件（JSON）")
    parser.add_argument("--printer", default="", help="纸质票据：校准文件中的打印机名称")
    args = parser.parse_args(argv)
    try:
        paths = preview(args.doc, args.sample, args.out, args.width, args.dpi, stock=args.stock,
                        calibration=args.calibration, printer=args.printer)
    except (BillingError, OSError, ValueError) as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
