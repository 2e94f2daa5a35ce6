"""Every error code used in the code base is documented in docs/ERRORS.md, and vice versa."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "billing_core", "devices", "offline_store", "print_templates", "workflows",
    "qt_common", "cashier_app", "kiosk_app", "sync_server", "simulators",
]
CODE = re.compile(r"""["'](E\d{4})["']""")

pytestmark = pytest.mark.unit


def _codes_in_source() -> dict[str, str]:
    found: dict[str, str] = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            for code in CODE.findall(path.read_text(encoding="utf-8")):
                found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def _codes_in_doc() -> set[str]:
    text = (ROOT / "docs" / "ERRORS.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*(E\d{4})\s*\|", text, flags=re.MULTILINE))


def test_every_code_in_source_is_documented() -> None:
    used = _codes_in_source()
    assert used, "no error codes found: the scan itself is broken"
    missing = {code: where for code, where in used.items() if code not in _codes_in_doc()}
    assert not missing, f"codes used but missing from docs/ERRORS.md: {missing}"


def test_every_documented_code_is_used() -> None:
    stale = _codes_in_doc() - set(_codes_in_source())
    assert not stale, f"docs/ERRORS.md lists codes no code uses: {sorted(stale)}"


def test_documented_codes_are_unique() -> None:
    text = (ROOT / "docs" / "ERRORS.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*(E\d{4})\s*\|", text, flags=re.MULTILINE)
    dupes = {c for c in rows if rows.count(c) > 1}
    assert not dupes, f"codes documented twice: {sorted(dupes)}"
