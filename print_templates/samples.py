"""The sample matrix: every document over the sample bills, for goldens and docs/print_samples.

``python -m print_templates.samples [--out docs/print_samples] [--dpi 150]`` renders one PNG per
case and writes the README index. The same :data:`CASES` drive the golden tests, so the table
says what the tests check on each case.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from billing_core.printjob import PageJob, PrintJob
from print_templates.registry import DOCUMENTS, build

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "print"


@dataclass(frozen=True, slots=True)
class Case:
    """One document rendered for one sample (``width_mm`` for thermal rolls, 0 for sheets)."""

    doc: str
    sample: str
    width_mm: int
    checked: str

    @property
    def key(self) -> str:
        """File stem of the case's PNG(s)."""
        return f"{self.doc}-{self.sample}" + (f"-{self.width_mm}mm" if self.width_mm else "")


_GOLD = "golden PNG"
CASES: tuple[Case, ...] = (
    Case("notice", "outpatient_short", 80, f"{_GOLD}; PDF text positions; QR decodes (OpenCV) to the qr_payload"),
    Case("notice", "outpatient_short", 58, f"{_GOLD}; no line over 32 columns; QR decodes"),
    Case("notice", "outpatient_long_name", 58, f"{_GOLD}; 40-character name wraps, no line over 32 columns"),
    Case("notice", "emergency", 80, f"{_GOLD}; 应急票据 banner, terminal id, upload wording in PDF text"),
    Case("notice", "emergency", 58, f"{_GOLD}; banner fits 58 mm"),
    Case("notice", "red", 80, f"{_GOLD}; 冲红 banner, original number, negative amount; QR of the red bill"),
    Case("notice", "insured", 80, f"{_GOLD}; QR decodes"),
    Case("notice", "zero_items", 80, _GOLD),
    Case("notice_sheet", "outpatient_short", 0, f"{_GOLD}; every field inside its box (PDF); QR decodes"),
    Case("notice_sheet", "emergency", 0, f"{_GOLD}; emergency banner with terminal id; QR decodes"),
    Case("notice_sheet", "red", 0, f"{_GOLD}; red banner with the original number"),
    Case("notice_sheet", "outpatient_long_name", 0, f"{_GOLD}; long name and hospital stay inside their boxes"),
    Case("paper_bill", "outpatient_short", 0, f"{_GOLD}; field positions (mm) in PDF; 1 mm move fails"),
    Case("paper_bill", "outpatient_long_name", 0, f"{_GOLD}; Guangdong form; long name stays in its box; 重打 mark"),
    Case("paper_bill", "insured", 0, f"{_GOLD}; Guangdong form; insurance split"),
    Case("paper_bill", "zero_items", 0, f"{_GOLD}; zero-amount items print 0.00"),
    Case("bill_list", "outpatient_short", 0, f"{_GOLD}; one page"),
    Case("bill_list", "outpatient_list60", 0, f"{_GOLD}; 60 lines -> 3 pages = list_page_count; page numbers in PDF"),
    Case("bill_list", "outpatient_long_name", 0, f"{_GOLD}; long item names wrap inside the name column"),
    Case("bill_list", "zero_items", 0, _GOLD),
    Case("receipt_registration", "registration", 80, f"{_GOLD}; ESC/POS round trip"),
    Case("receipt_registration", "registration", 58, f"{_GOLD}; no line over 32 columns"),
    Case("receipt_outpatient", "outpatient_short", 58, f"{_GOLD}; ID/phone masked"),
    Case("receipt_outpatient", "outpatient_long_name", 58, f"{_GOLD}; 40-character name, no line over 32 columns"),
    Case("receipt_outpatient", "insured", 80, f"{_GOLD}; insurance split block"),
    Case("receipt_outpatient", "emergency", 80, f"{_GOLD}; emergency banner"),
    Case("receipt_outpatient", "zero_items", 58, f"{_GOLD}; zero-amount items"),
    Case("receipt_prepay_topup", "prepay_topup", 80, f"{_GOLD}; balance before + amount = after"),
    Case("receipt_inpatient_deposit", "inpatient_deposit", 80, f"{_GOLD}; voucher code/number"),
    Case("receipt_discharge", "discharge", 80, f"{_GOLD}; insured split, deposit refund"),
    Case("receipt_paper_exchange", "outpatient_short", 80, _GOLD),
    Case("receipt_paper_exchange", "outpatient_long_name", 58, f"{_GOLD}; reprint reason and voided number"),
    Case("cash_slip", "cash_slip", 80, f"{_GOLD}; cash total = trades = banknotes; payer names masked"),
    Case("cash_slip", "cash_slip", 58, _GOLD),
    Case("daily_report", "daily_report", 80, f"{_GOLD}; channels sum to issued - red"),
)


def load_sample(name: str, fixtures: Path = FIXTURES) -> dict:
    """A sample bill from ``tests/fixtures/print/<name>.json``."""
    return json.loads((fixtures / f"{name}.json").read_text(encoding="utf-8"))


def build_case(case: Case, fixtures: Path = FIXTURES) -> PageJob | PrintJob:
    """The job of one case."""
    return build(case.doc, load_sample(case.sample, fixtures), case.width_mm or 80)


def write_samples(out: Path, dpi: int = 150, fixtures: Path = FIXTURES) -> list[Path]:
    """Render every case to ``out`` and write ``out/README.md``; returns the PNG paths."""
    from print_templates.render_qt import write_png  # Qt only when rendering

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    written: list[Path] = []
    for case in CASES:
        paths = write_png(build_case(case, fixtures), out / case.key, dpi)
        written.extend(paths)
        links = " ".join(f"[{p.name}]({p.name})" for p in paths)
        width = f"{case.width_mm} mm" if case.width_mm else "sheet"
        rows.append(f"| {DOCUMENTS[case.doc].label} (`{case.doc}`) | `{case.sample}` | {width} | {links} | "
                    f"{case.checked} |")
    readme = [
        "# Print samples",
        "",
        f"Generated by `python -m print_templates.samples` ({dpi} dpi) from the sample bills in",
        "`tests/fixtures/print/`. Every row is also a golden test (tests/unit/print_templates,",
        "100 dpi references in `tests/fixtures/print/golden/`); the last column says what else the",
        "tests check on that case. Rendered with the pinned font WenQuanYi Micro Hei. Every thermal",
        "case is also printed through the ESC/POS driver (devices.drivers.escpos_printer) to the TCP",
        "printer rig and decoded back to the same lines, sizes and QR payload",
        "(tests/integration/print_templates/test_escpos_roundtrip.py).",
        "",
        "| document | sample | paper | PNG | checked |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "## Which printing method prints what",
        "",
        "The seed-001 client-component methods (spec §7, §9) and the documents that serve them:",
        "",
        "| method | document |",
        "|---|---|",
        "| `printElectBill` (e-bill notice) | `notice` (receipt printer, 58/80 mm) or `notice_sheet` (A5 sheet) |",
        "| `getElectBilllListTotal` / `printElectBillList` | `bill_list` (page count = billing_core.pagination; "
        "a page range prints pageNoBgn..pageNoEnd; no list -> E3040) |",
        "| `turnPaperPrint` (exchange, once) | `paper_bill` + `receipt_paper_exchange` |",
        "| `reTurnPaperPrint` / `printPaper` (reprint on new stock) | `paper_bill` with `paper.reprint` "
        "(重打 mark, voided number, reason) |",
        "| kiosk payments | `receipt_registration`, `receipt_outpatient`, `receipt_prepay_topup`, "
        "`receipt_inpatient_deposit`, `receipt_discharge` |",
        "| kiosk cash collection (seed 004) | `cash_slip` |",
        "| cashier day end | `daily_report` |",
        "",
        "Any thermal document reprinted from the store carries a 补打 line (sample key `reprint`).",
        "",
    ]
    (out / "README.md").write_text("\n".join(readme), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m print_templates.samples")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "print_samples")
    parser.add_argument("--dpi", type=int, default=150)
    args = parser.parse_args(argv)
    for path in write_samples(args.out, args.dpi):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
