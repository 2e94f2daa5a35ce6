"""Pre-numbered paper bill forms: field positions in millimetres from a form-definition file.

A form definition (``print_templates/forms/<name>.json``, format in forms/README.md) gives the
sheet size, the pre-printed background (drawn only on previews: the real stock already carries
it), the box of every field and the item grid. Bill printers feed the stock slightly off, so each
printer has calibration offsets (:class:`Calibration`) applied to everything it prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from billing_core.printjob import PageJob, PageLine, PageQr, PageRect, PageText
from print_templates.errors import FormDefinitionError

FORMS_DIR = Path(__file__).with_name("forms")
FIELD_KEYS = ("x", "y", "w", "h")


@dataclass(frozen=True, slots=True)
class FieldBox:
    """Where one field prints: top-left corner, box size (mm), font size and style."""

    name: str
    x: float
    y: float
    w: float
    h: float
    size_pt: float = 9.0
    bold: bool = False
    align: str = "left"
    preprinted: bool = False  # printed by the stock's maker; previews only


@dataclass(frozen=True, slots=True)
class ItemGrid:
    """The fee-item area: ``rows`` lines of ``row_h`` in one or more (name, amount) blocks."""

    y: float
    row_h: float
    rows: int
    blocks: tuple[tuple[float, float, float, float], ...]  # name_x, name_w, amt_x, amt_w
    size_pt: float = 9.0

    @property
    def slots(self) -> int:
        """How many items fit on the form."""
        return self.rows * len(self.blocks)


@dataclass(frozen=True, slots=True)
class FormDef:
    """A parsed form definition."""

    name: str
    title: str
    width_mm: float
    height_mm: float
    assumed: tuple[str, ...]
    background: tuple[dict[str, Any], ...]
    fields: dict[str, FieldBox]
    items: ItemGrid


def _num(data: dict[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise FormDefinitionError(f"版式定义{where}缺少数值字段“{key}”")
    return float(value)


def parse_form(data: dict[str, Any], source: str = "") -> FormDef:
    """Validate and parse a form definition dict; every field must lie inside the sheet."""
    where = source or str(data.get("name", "?"))
    width = _num(data, "width_mm", where)
    height = _num(data, "height_mm", where)
    fields: dict[str, FieldBox] = {}
    for name, f in (data.get("fields") or {}).items():
        box = FieldBox(name, *(_num(f, k, f"{where}.fields.{name}") for k in FIELD_KEYS),
                       size_pt=float(f.get("size_pt", 9)), bold=bool(f.get("bold", False)),
                       align=str(f.get("align", "left")), preprinted=bool(f.get("preprinted", False)))
        if box.x < 0 or box.y < 0 or box.x + box.w > width or box.y + box.h > height:
            raise FormDefinitionError(f"版式“{where}”的字段“{name}”超出票面（{width}x{height}毫米）")
        fields[name] = box
    for required in ("payer", "date", "total", "total_upper", "ebill", "reprint_mark"):
        if required not in fields:
            raise FormDefinitionError(f"版式“{where}”缺少字段“{required}”")
    it = data.get("items")
    if not isinstance(it, dict) or not it.get("blocks"):
        raise FormDefinitionError(f"版式“{where}”缺少收费项目区域（items）")
    blocks = tuple((_num(b, "name_x", where), _num(b, "name_w", where), _num(b, "amt_x", where),
                    _num(b, "amt_w", where)) for b in it["blocks"])
    grid = ItemGrid(_num(it, "y", where), _num(it, "row_h", where), int(_num(it, "rows", where)), blocks,
                    float(it.get("size_pt", 9)))
    if grid.y + grid.rows * grid.row_h > height or any(b[2] + b[3] > width for b in blocks):
        raise FormDefinitionError(f"版式“{where}”的收费项目区域超出票面")
    return FormDef(str(data.get("name") or where), str(data.get("title") or ""), width, height,
                   tuple(data.get("assumed") or ()), tuple(data.get("background") or ()), fields, grid)


def load_form(name_or_path: str | Path) -> FormDef:
    """Load a form by name (``demo``, ``guangdong_outpatient``) or by path to a JSON file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = FORMS_DIR / f"{name_or_path}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormDefinitionError(f"纸质票据版式文件不存在：{path}") from None
    except (OSError, ValueError) as exc:
        raise FormDefinitionError(f"纸质票据版式文件无法读取：{path}（{exc}）") from None
    return parse_form(data, path.stem)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Offsets (mm) of one bill printer: positive ``dx_mm`` moves print right, ``dy_mm`` down."""

    dx_mm: float = 0.0
    dy_mm: float = 0.0


def load_calibration(path: Path, printer: str) -> Calibration:
    """The offsets of ``printer`` from a JSON file ``{"<printer>": {"dx_mm": .., "dy_mm": ..}}``.

    A printer missing from the file prints uncalibrated (zero offsets).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FormDefinitionError(f"打印机校准文件无法读取：{path}（{exc}）") from None
    entry = data.get(printer) or {}
    try:
        return Calibration(float(entry.get("dx_mm", 0)), float(entry.get("dy_mm", 0)))
    except (TypeError, ValueError):
        raise FormDefinitionError(f"打印机“{printer}”的校准偏移必须是数字") from None


def calibrate(job: PageJob, cal: Calibration) -> PageJob:
    """A copy of ``job`` with every item moved by the printer's offsets."""
    dx, dy = cal.dx_mm, cal.dy_mm
    out = PageJob(job.title)
    for page in job.pages:
        moved = []
        for item in page.items:
            if isinstance(item, PageLine):
                moved.append(replace(item, x1_mm=item.x1_mm + dx, y1_mm=item.y1_mm + dy,
                                     x2_mm=item.x2_mm + dx, y2_mm=item.y2_mm + dy))
            elif isinstance(item, PageText | PageRect | PageQr):
                moved.append(replace(item, x_mm=item.x_mm + dx, y_mm=item.y_mm + dy))
        out.pages.append(type(page)(page.width_mm, page.height_mm, moved))
    return out
