"""``python -m sync_server --processes N``: several server processes on one port (Linux).

One Python process runs one thread at a time, so one server process uses one core however many
the machine has (docs/BENCHMARKS.md: the server process was the ceiling of the issuing
benchmark). The supervisor here binds the listening socket once, prepares the database
(migrations, first-start seeding), then starts N ordinary server processes that inherit the
socket and accept from it, and restarts any that dies.

Correctness does not depend on which process serves a request: everything shared lives in the
database, and a pending issuing claim or a running batch names the process that owns it, whose
liveness lock (sync_server.store.liveness) tells siblings to wait for it while it lives and to
take over at once when it has died. Only the first process runs the outbox worker thread (or
none, with ``--worker none`` and ``python -m sync_server worker`` beside them).

Every child asks the kernel to send it SIGTERM when the supervisor dies, so killing the
supervisor (even with SIGKILL) stops the whole group and frees the port.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
PARENT_ENV = "SYNC_SERVER_SUPERVISOR"
# Process supervision waits on real processes and sockets: monotonic time and real sleeps
# throughout, not a server context's clock (the supervisor has no context).
_QUICK_DEATH = 3.0  # a child dying this soon after its start counts towards giving up
_GIVE_UP = 5  # quick deaths in a row of one slot: the configuration is broken, stop


def listen(host: str, port: int, wait: float = 15.0) -> socket.socket:
    """The shared listening socket, inheritable by the children.

    Waits up to ``wait`` seconds for the port: processes of a group that was just stopped (or
    whose supervisor was killed) may still be closing their copies of the old socket.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            sock = socket.create_server((host, port), backlog=2048)
            break
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    sock.set_inheritable(True)
    return sock


def die_with_parent() -> None:
    """In a child: SIGTERM when the supervisor dies; exit now if it already has."""
    parent = int(os.environ.get(PARENT_ENV, "0"))
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if parent and os.getppid() != parent:
        raise SystemExit(0)  # the supervisor died before the request above took effect


class Supervisor:
    """Starts ``count`` children with ``child_argv(slot)``; restarts those that die."""

    def __init__(self, count: int, child_argv: Callable[[int], list[str]], sock: socket.socket) -> None:
        self.count = count
        self.child_argv = child_argv
        self.sock = sock
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        self.started: dict[int, float] = {}
        self.quick_deaths: dict[int, int] = {}
        self.stopping = False

    def spawn(self, slot: int) -> None:
        """Start (or restart) the child of ``slot``."""
        env = dict(os.environ, **{PARENT_ENV: str(os.getpid())})
        self.children[slot] = subprocess.Popen([sys.executable, "-m", "sync_server", *self.child_argv(slot)],
                                               pass_fds=(self.sock.fileno(),), env=env)
        self.started[slot] = time.monotonic()

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; 0 on a clean stop, 1 when a child keeps dying at start."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for slot in range(self.count):
            self.spawn(slot)
        rc = 0
        try:
            while not self.stopping:
                time.sleep(0.2)
                for slot, child in list(self.children.items()):
                    code = child.poll()
                    if code is None or self.stopping:
                        continue
                    # Exiting on its own right after start (code > 0: a bad configuration, the
                    # database unreachable) repeats for ever; a kill by a signal (the OOM killer,
                    # an operator) does not, so only the former counts towards giving up.
                    quick = code > 0 and time.monotonic() - self.started[slot] < _QUICK_DEATH
                    self.quick_deaths[slot] = self.quick_deaths.get(slot, 0) + 1 if quick else 0
                    if self.quick_deaths[slot] >= _GIVE_UP:
                        log.error("服务进程 %s 启动后反复退出（退出码 %s），停止全部进程", slot, code)
                        self.stopping, rc = True, 1
                        break
                    log.warning("服务进程 %s（pid %s）退出，退出码 %s，重新启动", slot, child.pid, code)
                    self.spawn(slot)
        finally:
            self.terminate()
        return rc

    def _stop(self, *_: object) -> None:
        self.stopping = True

    def terminate(self) -> None:
        """SIGTERM every child, SIGKILL those still running after 10 s."""
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.sock.close()
