"""A TCP proxy on 127.0.0.1 that can cut every connection, to test links that drop mid-transfer.

    with TcpProxy(("127.0.0.1", server_port)) as proxy:     # listens on 127.0.0.1:proxy.port
        ...                                                  # clients talk through proxy.port
        proxy.cut()                 # close every open connection now (both directions)
        proxy.refuse = True         # new connections are accepted then closed at once
        proxy.drop_after_requests = 3   # the 4th request's connection is closed before it is forwarded
        proxy.drop_reply_of = 5     # the 5th request is forwarded, its answer is dropped (outcome in doubt)

Bytes are forwarded unchanged; ``requests_seen`` counts client sends that started a request.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class TcpProxy:
    """Forward 127.0.0.1:port to ``target``; cut connections on demand."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.refuse = False
        self.drop_after_requests: int | None = None
        self.drop_reply_of: int | None = None
        self.requests_seen = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._running = True
        self._accepter = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._accepter.start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _accept_loop(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), name="tcp-proxy-pump",
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), name="tcp-proxy-pump",
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client and data[:5] in (b"POST ", b"GET /", b"PUT /"):
                    with self._lock:
                        self.requests_seen += 1
                        drop = self.drop_after_requests is not None and self.requests_seen > self.drop_after_requests
                    if drop:
                        break
                elif not from_client and self.drop_reply_of is not None and self.requests_seen == self.drop_reply_of:
                    self.drop_reply_of = None
                    break
                dst.sendall(data)
        except OSError:
            return  # either side closed (a cut link is what this proxy is for); finally closes the other
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def cut(self) -> None:
        """Close every open connection (both sides)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self._running = False
        # close() alone does not wake a thread blocked in accept() on Linux: shutdown() does
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accepter.join(5)
        self.cut()
