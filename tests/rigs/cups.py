"""A real CUPS spooler with a cups-pdf queue, for the bill printer (needs root, as cupsd does).

Starts ``cupsd -f`` with the system configuration unless one is already running (apt's
policy-rc.d keeps the service from starting by itself in containers and CI), adds a queue
``billpdf_<pid>`` on the cups-pdf backend, and finds the PDFs cups-pdf writes to ``~/PDF`` (for
root: /root/PDF) named after the job's document name. cupsd is the system spooler and uses its
configured socket (/run/cups/cups.sock, localhost:631), so there is no private port here.

Usage::

    with CupsPdfRig() as cups:
        ...  # QtBillPrinterConfig(printer_name=cups.queue), job title "t-123"
        pdf = cups.wait_pdf("t-123")
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30)


class CupsPdfRig:
    """cupsd + one cups-pdf queue."""

    def __init__(self) -> None:
        self.queue = f"billpdf_{os.getpid()}"
        self.proc: subprocess.Popen[bytes] | None = None
        # cups-pdf's "Out ${HOME}/PDF" is the job owner's home from passwd, not $HOME
        self.out_dir = Path(pwd.getpwuid(os.getuid()).pw_dir) / "PDF"

    def start(self) -> CupsPdfRig:
        """Start cupsd if needed and add the queue."""
        for tool in ("cupsd", "lpadmin", "lpstat"):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} missing: install cups (deploy/apt-packages.txt)")
        if not os.path.exists(PPD):
            raise RuntimeError("printer-driver-cups-pdf is not installed")
        if "is running" not in _run("lpstat", "-r").stdout:
            self.proc = subprocess.Popen(["cupsd", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 15
            while "is running" not in _run("lpstat", "-r").stdout:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("cupsd did not start")
                time.sleep(0.1)
        res = _run("lpadmin", "-p", self.queue, "-E", "-v", "cups-pdf:/", "-P", PPD)
        if res.returncode != 0:
            self.stop()
            raise RuntimeError(f"lpadmin failed: {res.stderr}")
        return self

    def wait_pdf(self, title: str, timeout: float = 30.0) -> Path:
        """The PDF cups-pdf wrote for the job called ``title``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = sorted(self.out_dir.glob(f"{title}*.pdf")) if self.out_dir.exists() else []
            if found:
                size = -1
                while size != found[0].stat().st_size:  # wait until cups-pdf finished writing
                    size = found[0].stat().st_size
                    time.sleep(0.2)
                return found[0]
            time.sleep(0.2)
        jobs = _run("lpstat", "-W", "all", "-o", self.queue).stdout
        raise TimeoutError(f"no PDF for {title!r} in {self.out_dir}; jobs: {jobs}")

    def stop(self) -> None:
        """Remove the queue; stop cupsd if this rig started it."""
        _run("lpadmin", "-x", self.queue)
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None

    def __enter__(self) -> CupsPdfRig:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
