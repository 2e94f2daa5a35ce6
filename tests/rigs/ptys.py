"""Pairs of real pseudo-terminals joined by socat, like a null-modem cable between two COM ports.

The driver opens one end (``a``) exactly as it would open /dev/ttyUSB0; a simulator opens the
other (``b``). Killing socat makes both ends vanish (the device was unplugged); :meth:`start`
again recreates them under the same link names (it was plugged back in).

Usage::

    with SocatPair(tmp_path) as pty:
        serial.Serial(pty.b, 115200)   # simulator side
        ...                            # driver config: port = pty.a
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType


class SocatPair:
    """Two linked ptys at ``<dir>/<name>A`` and ``<dir>/<name>B``."""

    def __init__(self, directory: str | Path, name: str = "tty") -> None:
        if not shutil.which("socat"):
            raise RuntimeError("socat is not installed (deploy/apt-packages.txt)")
        self.a = str(Path(directory) / f"{name}A")
        self.b = str(Path(directory) / f"{name}B")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SocatPair:
        """Start socat and wait for both links."""
        for p in (self.a, self.b):
            if os.path.lexists(p):
                os.unlink(p)
        self.proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while not (os.path.exists(self.a) and os.path.exists(self.b)):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Kill socat: both ptys disappear."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None

    def __enter__(self) -> SocatPair:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
