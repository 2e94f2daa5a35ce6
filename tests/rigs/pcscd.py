"""Start a real pcscd with a private vsmartcard-vpcd reader config (needs root, as pcscd does).

pcscd reads its reader list from the directory given with ``-c``; we write one vpcd entry on a
free TCP port there, so /etc is not touched. vpcd makes two readers per entry, ``Virtual PCD 00
00`` (port) and ``Virtual PCD 00 01`` (port + 1). The socket path /run/pcscd/pcscd.comm is fixed
in the daemon, so only one pcscd can run per machine: :func:`start_pcscd` refuses to start when
another one is running.

Usage::

    with PcscdRig() as rig:                   # pcscd up, readers listed
        card = rig.insert("tests/fixtures/devices/ssse_zhangsan.json")   # card process connects
        ...                                   # PcscConfig(reader="Virtual PCD 00 00")
        rig.remove()                          # kill the card process = card pulled out
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
VPCD_LIB = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
READER = "Virtual PCD 00 00"
READER2 = "Virtual PCD 00 01"


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port pair")


def _pcscd_running() -> bool:
    out = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, text=True)
    return bool(out.stdout.strip())


class PcscdRig:
    """pcscd + vpcd on a free port, plus virtual card processes."""

    def __init__(self) -> None:
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.cards: dict[int, subprocess.Popen[str]] = {}
        self._dir = ""

    def start(self) -> PcscdRig:
        """Start pcscd and wait until vpcd listens."""
        if not shutil.which("pcscd") or not os.path.exists(VPCD_LIB):
            raise RuntimeError("pcscd / vsmartcard-vpcd not installed (deploy/apt-packages.txt)")
        if _pcscd_running():
            raise RuntimeError("another pcscd is running; only one can run per machine")
        self.port = _free_port_pair()
        self._dir = tempfile.mkdtemp(prefix="pcscd-conf-")
        Path(self._dir, "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x{self.port:X}\n'
            f"LIBPATH      {VPCD_LIB}\nCHANNELID    0x{self.port:X}\n"
        )
        self.proc = subprocess.Popen(
            ["pcscd", "--foreground", "-c", self._dir, *(["--debug"] if os.environ.get("PCSCD_LOG") else [])],
            stdout=open(os.environ["PCSCD_LOG"], "wb") if os.environ.get("PCSCD_LOG") else subprocess.DEVNULL,
            stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                # that probe looked like a card insert+remove to vpcd; give it a moment
                time.sleep(0.3)
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"pcscd exited with {self.proc.returncode}") from None
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("vpcd did not start listening")

    def insert(self, transcript: str | Path, slot: int = 0) -> subprocess.Popen[str]:
        """Start a virtual card process on reader ``slot`` (0 or 1) = insert the card."""
        self.remove(slot)
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.rigs.virtual_ssse_card", "--port", str(self.port + slot),
             "--transcript", str(transcript)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "CARD READY" not in line:
            raise RuntimeError(f"virtual card did not start: {line!r}")
        self.cards[slot] = proc
        return proc

    def remove(self, slot: int = 0, wait: bool = True) -> None:
        """Kill the card process of ``slot`` = pull the card out.

        With ``wait``, return only once pcscd reports the reader empty: vpcd notices a removal
        only on its next presence poll, and a card re-inserted before that is never seen.
        """
        proc = self.cards.pop(slot, None)
        if proc is not None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
            if proc.stdout:
                proc.stdout.close()
            if wait:
                self.wait_state(slot, present=False)

    def wait_state(self, slot: int, present: bool, timeout: float = 10.0) -> None:
        """Wait until pcscd reports reader ``slot`` with / without a card."""
        from smartcard import scard  # the rig may use pyscard; the virtual card may not

        reader = READER if slot == 0 else READER2
        _, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                rc, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
                if rc == scard.SCARD_S_SUCCESS:
                    flag = scard.SCARD_STATE_PRESENT if present else scard.SCARD_STATE_EMPTY
                    if states[0][1] & flag:
                        return
                time.sleep(0.05)
            raise RuntimeError(f"reader {reader} did not become {'present' if present else 'empty'}")
        finally:
            scard.SCardReleaseContext(ctx)

    def stop(self) -> None:
        """Remove all cards and stop pcscd."""
        for slot in list(self.cards):
            self.remove(slot)
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = ""

    def __enter__(self) -> PcscdRig:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
