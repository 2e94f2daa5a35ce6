"""billing_core imports and works in an interpreter where Qt, Flask and I/O libraries are absent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]

# A meta-path finder that makes these packages unimportable, as in a venv without them.
PROBE = r"""
import importlib, pkgutil, sys
BLOCKED = {"PySide6", "shiboken6", "flask", "werkzeug", "requests", "sqlalchemy", "sqlite_utils",
           "serial", "smartcard", "escpos", "cv2", "waitress", "psycopg"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"blocked: {name}")
        return None
sys.meta_path.insert(0, Block())
import billing_core
names = [m.name for m in pkgutil.walk_packages(billing_core.__path__, "billing_core.")]
for name in names:
    importlib.import_module(name)
leaked = sorted(n for n in sys.modules if n.split(".")[0] in BLOCKED)
assert not leaked, leaked
from decimal import Decimal
from billing_core.money import to_chinese_upper
assert to_chinese_upper(Decimal("1004.05")) == "壹仟零肆元零伍分"
print(len(names))
"""


def test_billing_core_imports_without_qt_flask_or_io_libraries() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 8  # every module was walked, not just the package
