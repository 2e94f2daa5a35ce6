"""What every PyInstaller spec of the product shares: entry scripts, data files, hidden imports.

Imported by the ``*.spec`` files (PyInstaller runs them as Python with ``SPECPATH`` set). Kept
apart from the specs so that Linux and Windows specs list the same pieces: a module loaded by
name (the server's CLI commands, crypto backends, Alembic migrations) is invisible to
PyInstaller's import analysis and must be named here, or the bundle fails its ``--self-test``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = ROOT / "build_spec" / "entries"
#: the CJK font a bundle carries when asked (Windows): Debian's file, or EBILL_BUNDLE_FONT on a
#: build machine without it (copy wqy-microhei.ttc from fonts-wqy-microhei)
FONT = Path(os.environ.get("EBILL_BUNDLE_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"))

#: Modules the product loads by name (importlib) or only on some platforms.
SERVER_HIDDEN = [
    *collect_submodules("sync_server"),
    *collect_submodules("billing_core"),
    "gmssl_pyx", "tongsuopy", "argon2", "psycopg", "psycopg_binary", "waitress", "alembic",
    "logging.config", "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.postgresql",
]
TERMINAL_HIDDEN = [
    *collect_submodules("billing_core"),
    *collect_submodules("devices"),
    *collect_submodules("workflows"), *collect_submodules("cashier_app"), *collect_submodules("kiosk_app"),
    "gmssl_pyx", "tongsuopy", "smartcard", "serial", "escpos", "cv2",
]


def server_datas() -> list[tuple[str, str]]:
    """Alembic reads the migrations as files (env.py, the template, versions/*.py); Flask reads
    the admin web's templates and static files from beside its package."""
    return [*collect_data_files("sync_server", include_py_files=True, includes=["store/migrations/**"]),
            *collect_data_files("sync_server", includes=["admin_web/templates/*", "admin_web/static/**"]),
            *collect_data_files("billing_core", includes=["data/*"])]


def terminal_datas(with_font: bool) -> list[tuple[str, str]]:
    """Paper-bill forms, the virtual camera's picture, code tables; the CJK font when asked
    (Windows and machines without fonts-wqy-microhei; the .deb depends on the package instead)."""
    datas = [*collect_data_files("print_templates", includes=["forms/*.json"]),
             *collect_data_files("devices", includes=["virtual/assets/*"]),
             *collect_data_files("billing_core", includes=["data/*"])]
    if with_font:
        if not FONT.is_file():
            raise SystemExit(f"CJK font {FONT} missing: set EBILL_BUNDLE_FONT to wqy-microhei.ttc")
        datas.append((str(FONT), "fonts"))
    return datas


#: Qt modules no screen of ours uses: left out to keep the terminal bundles small.
QT_EXCLUDES = ["PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.Qt3DCore",
               "PySide6.QtQuick", "PySide6.QtQml", "PySide6.QtMultimedia", "PySide6.QtBluetooth",
               "PySide6.QtDesigner", "PySide6.QtCharts", "PySide6.QtDataVisualization"]
#: Test and development packages that must never ride along.
DEV_EXCLUDES = ["pytest", "hypothesis", "mypy", "ruff", "IPython", "tkinter", "simulators", "tests"]
