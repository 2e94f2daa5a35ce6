"""Issue 14 item 10: the headless terminal's control socket runs only commands carrying the token
of its 0600 ``control.token`` file; a web page's HTTP POST to the loopback port (Origin header,
text/plain body holding a valid command) and token-less or wrong-token commands are refused, the
connection is closed and nothing runs. Against a real ``python -m workflows.terminal`` process."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from tests.integration.terminal.helpers import Terminal, write_config

pytestmark = pytest.mark.integration


def _exchange(port: int, payload: bytes) -> list[dict]:  # type: ignore[type-arg]
    """Send ``payload`` on a fresh connection; every answer line until the runtime closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        data = b""
        while chunk := sock.recv(65536):  # ends only when the runtime closes the connection
            data += chunk
    return [json.loads(line) for line in data.splitlines() if line.strip()]


@pytest.fixture
def term(tmp_path: Path, server, terminal_key):  # type: ignore[no-untyped-def]
    t = Terminal(write_config(tmp_path / "t1", server.url, private_key=terminal_key))
    try:
        yield t
    finally:
        t.stop()


def test_token_file_is_private_and_clients_use_it(term: Terminal) -> None:
    token_file = term.config.parent / "control.token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert len(token_file.read_text(encoding="ascii")) >= 32
    assert term.call("ping")["terminalId"] == "T1"


@pytest.mark.parametrize("payload", [
    # what a web page's fetch("http://127.0.0.1:<port>/", {method: "POST", body: ...}) sends
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
    b"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 19\r\n\r\n{\"cmd\": \"shutdown\"}\n",
    b'{"cmd": "shutdown"}\n',                       # no token
    b'{"cmd": "shutdown", "token": "guess"}\n',     # wrong token
    b'["shutdown"]\n{"cmd": "shutdown"}\n',          # not an object, then a command on the same connection
])
def test_refused_and_nothing_runs(term: Terminal, payload: bytes) -> None:
    port = int((term.config.parent / "control.port").read_text(encoding="ascii"))
    answers = _exchange(port, payload)
    assert len(answers) == 1 and answers[0]["ok"] is False and answers[0]["code"] == "E8704", answers
    assert term.proc.poll() is None  # "shutdown" never ran
    assert term.call("ping")["terminalId"] == "T1"
