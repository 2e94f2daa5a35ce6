"""Keep-alive HTTP for the finance connector: one POST, sent at most once, classified as "not sent"
or "answer lost" on failure (spec §3.6).

Plain ``http://`` without a proxy goes through :class:`HttpPool`, a small thread-safe pool of
``http.client`` connections: the request line, headers and body leave in one ``send`` (urllib3
sends the body separately: a second syscall and TCP segment per call, measured in
docs/BENCHMARKS.md), and the connect step is separate, so "not sent" is exact. HTTPS or a proxy
from the environment goes through urllib3.
"""

from __future__ import annotations

import http.client
import select
import threading
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error


class SendFailed(Exception):
    """The POST failed; ``not_sent`` is True when the request certainly never left."""

    def __init__(self, not_sent: bool, cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.not_sent = not_sent
        self.cause = cause


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """True when an idle pooled connection was closed by the peer (readable = EOF or junk)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class HttpPool:
    """Idle keep-alive connections to one ``host:port`` (at most ``maxsize`` kept)."""

    def __init__(self, host: str, port: int, maxsize: int) -> None:
        self.host, self.port, self.maxsize = host, port, maxsize
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _get(self, connect_timeout: float) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                break
            if not _dropped(conn):
                return conn
            conn.close()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=connect_timeout)
        try:
            conn.connect()  # refused / unreachable / connect timeout: nothing was sent
        except OSError as exc:
            conn.close()
            raise SendFailed(True, exc) from exc
        return conn

    def post(self, path: str, body: bytes, headers: Mapping[str, str], connect_timeout: float,
             read_timeout: float) -> tuple[int, bytes]:
        """POST ``body`` once; returns (status, content)."""
        conn = self._get(connect_timeout)
        try:
            assert conn.sock is not None
            conn.sock.settimeout(read_timeout)
            conn.request("POST", path, body=body, headers=dict(headers))  # one send (bytes body)
            resp = conn.getresponse()
            content = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise SendFailed(False, exc) from exc
        if resp.will_close:
            conn.close()
        else:
            with self._lock:
                keep = len(self._idle) < self.maxsize
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()
        return resp.status, content

    def clear(self) -> None:
        """Close the idle connections."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class Urllib3Post:
    """HTTPS or proxied POSTs through urllib3 (retries=False: sent at most once)."""

    def __init__(self, manager: urllib3.PoolManager) -> None:
        self.manager = manager

    def post(self, url: str, body: bytes, headers: Mapping[str, str], connect_timeout: float,
             read_timeout: float) -> tuple[int, bytes]:
        """POST ``body`` once; returns (status, content)."""
        try:
            resp = self.manager.urlopen("POST", url, body=body, headers=dict(headers), retries=False,
                                        redirect=False,
                                        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout))
        except Urllib3Error as exc:  # NewConnectionError/NameResolutionError subclass ConnectTimeoutError
            raise SendFailed(isinstance(exc, urllib3.exceptions.ConnectTimeoutError), exc) from exc
        return resp.status, resp.data

    def clear(self) -> None:
        """Close the pooled connections."""
        self.manager.clear()


class Poster:
    """``post(method_url, ...)`` for one base URL, through the fastest suitable pool."""

    def __init__(self, base_url: str, maxsize: int) -> None:
        parts = urlsplit(base_url)
        scheme = parts.scheme or "http"
        proxy = urllib.request.getproxies().get(scheme)
        use_proxy = bool(proxy) and not urllib.request.proxy_bypass(parts.hostname or "")
        self._prefix_len = len(f"{scheme}://{parts.netloc}")
        self._pool: HttpPool | None = None
        self._u3: Urllib3Post | None = None
        if scheme == "http" and not use_proxy:
            self._pool = HttpPool(parts.hostname or "127.0.0.1", parts.port or 80, maxsize)
        elif use_proxy:
            assert proxy is not None
            self._u3 = Urllib3Post(urllib3.ProxyManager(proxy, num_pools=2, maxsize=maxsize, block=False))
        else:
            self._u3 = Urllib3Post(urllib3.PoolManager(num_pools=2, maxsize=maxsize, block=False))

    def post(self, url: str, body: bytes, headers: Mapping[str, str], connect_timeout: float,
             read_timeout: float) -> tuple[int, bytes]:
        """POST to ``url`` (under the base URL) once; raises :class:`SendFailed`."""
        if self._pool is not None:
            return self._pool.post(url[self._prefix_len:] or "/", body, headers, connect_timeout, read_timeout)
        assert self._u3 is not None
        return self._u3.post(url, body, headers, connect_timeout, read_timeout)

    def clear(self) -> None:
        """Close pooled connections."""
        if self._pool is not None:
            self._pool.clear()
        elif self._u3 is not None:
            self._u3.clear()
