"""A virtual smart card for vsmartcard-vpcd that answers from an APDU transcript (stdlib only).

vpcd (the IFD driver loaded by pcscd) listens on a TCP port; the card *connects* to it. Every
message is a 2-byte big-endian length plus payload: a 1-byte payload is a control code
(0 power off, 1 power on, 2 reset, 4 "send ATR"), anything else is a C-APDU answered with an
R-APDU. Connecting = card inserted, closing the socket = card removed (specs/devices.md §1).

The card's behaviour comes from a transcript fixture (tests/rigs/ssse_transcripts.py builds
them): it keeps a state ("DF", "EF05", ...), looks up the exchange whose ``in`` lists the state
and whose ``c`` equals the command (a trailing ``*`` matches a prefix), answers ``r`` and moves to
``to``. Unknown commands get ``6D00``. Every exchange is logged (``log``) for assertions.

Run it as its own process (what the tests do, so "removing" the card is killing a process and
the card provably does not import the driver)::

    python -m tests.rigs.virtual_ssse_card --port 36000 --transcript tests/fixtures/devices/ssse_zhangsan.json

or in-process with :class:`VirtualCard` (``serve()`` in a thread).
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import sys
from pathlib import Path


class VirtualCard:
    """A card that follows a transcript."""

    def __init__(self, transcript: dict[str, object]) -> None:
        self.atr = bytes.fromhex(str(transcript["atr"]))
        self.exchanges: list[dict[str, str]] = list(transcript["exchanges"])  # type: ignore[arg-type]
        self.state = "MF"
        self.log: list[tuple[str, str]] = []

    @classmethod
    def load(cls, path: str | Path) -> VirtualCard:
        """Load a transcript fixture."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def reset(self) -> None:
        """Power cycle: back to the master file."""
        self.state = "MF"

    def execute(self, apdu: bytes) -> bytes:
        """Answer one C-APDU."""
        cmd = apdu.hex().upper()
        match = None
        for exact in (True, False):
            for ex in self.exchanges:
                states = ex["in"].split("|")
                if ex["in"] != "*" and self.state not in states:
                    continue
                pattern = ex["c"]
                if (exact and pattern == cmd) or (
                    not exact and pattern.endswith("*") and cmd.startswith(pattern[:-1])
                ):
                    match = ex
                    break
            if match:
                break
        rsp = match["r"] if match else "6D00"
        if match and "to" in match:
            self.state = match["to"]
        self.log.append((cmd, rsp))
        return bytes.fromhex(rsp)

    def serve(self, host: str, port: int) -> None:
        """Connect to vpcd (card inserted) and answer until vpcd or the process goes away."""
        sock = socket.create_connection((host, port))

        def recvn(n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                chunk = sock.recv(n - len(buf))
                if not chunk:
                    raise ConnectionError("vpcd closed the connection")
                buf += chunk
            return buf

        def send(payload: bytes) -> None:
            sock.sendall(struct.pack("!H", len(payload)) + payload)

        try:
            while True:
                (size,) = struct.unpack("!H", recvn(2))
                msg = recvn(size)
                if size == 1:
                    if msg[0] == 4:
                        send(self.atr)
                    elif msg[0] in (0, 1, 2):
                        self.reset()
                else:
                    send(self.execute(msg))
        except (ConnectionError, OSError):
            pass
        finally:
            sock.close()


def main(argv: list[str] | None = None) -> None:
    """Command line: connect to vpcd and serve the transcript until killed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--transcript", required=True)
    args = ap.parse_args(argv)
    card = VirtualCard.load(args.transcript)
    # The card must be independent of the code under test (issue 5 acceptance).
    assert not any(m == "devices" or m.startswith(("devices.", "smartcard")) for m in sys.modules)
    print("CARD READY", flush=True)
    card.serve(args.host, args.port)


if __name__ == "__main__":
    main()
