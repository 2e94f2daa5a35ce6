"""The bundles of build_spec/, built once per test session with this checkout's PyInstaller."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.rigs.stack import ROOT


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dist/sync-server/sync-server`` built from this checkout (about a minute on two cores)."""
    work = tmp_path_factory.mktemp("pyinstaller")
    pyinstaller = Path(sys.executable).with_name("pyinstaller")
    subprocess.run([str(pyinstaller), "--noconfirm", "--log-level", "ERROR", "--distpath", str(work / "dist"),
                    "--workpath", str(work / "build"), str(ROOT / "build_spec" / "server.spec")],
                   cwd=ROOT, check=True, timeout=900)
    exe = work / "dist" / "sync-server" / "sync-server"
    assert exe.is_file()
    return exe
