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
from print_templates.registry import DOCUMENTS, build, document
from print_templates.render_qt import write_pdf, write_png


def preview(doc: str, sample_path: Path, out: Path, width_mm: int = 80, dpi: int = 100) -> list[Path]:
    """Render ``doc`` for the sample file into ``out``; returns the written files."""
    sample = json.loads(sample_path.read_text(encoding="utf-8"))
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
    args = parser.parse_args(argv)
    try:
        paths = preview(args.doc, args.sample, args.out, args.width, args.dpi)
    except (BillingError, OSError, ValueError) as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
