"""Typed errors of the platform connectors.

The sync server must tell three situations apart after a call to the finance platform, because
each needs a different next step (DESIGN.md §3, spec §3.6):

* :class:`PlatformUnreachable` with ``in_doubt = False`` — the request was never sent (connection
  refused, connect timeout, DNS failure). Nothing happened on the platform; it is safe to retry or
  to fall back to emergency issuing.
* :class:`PlatformInDoubt` (a :class:`PlatformUnreachable` with ``in_doubt = True``) — the request
  was sent but no usable answer came back (read timeout, connection dropped, garbled or unsigned
  answer). The platform may have committed it: ask ``getEBillByBusNo`` before anything else.
* :class:`PlatformRejected` — the platform answered with a failure result; it carries the
  platform's own code (``E3xxx`` / ``E4xxx`` on the simulator, anything ``EXXXX`` on a real one)
  and its Chinese message.
"""

from __future__ import annotations

from billing_core.errors import BillingError, PlatformError


class ConnectorError(BillingError):
    """Root of the connector errors (never raised itself)."""

    default_message = "外部平台调用失败"


class PlatformUnreachable(ConnectorError):
    """The request did not reach the platform (not sent): nothing was committed there."""

    code = "E5001"
    default_message = "财政电子票据平台无法连接（请求未发出）"
    #: True when the request may have been processed (see :class:`PlatformInDoubt`).
    in_doubt = False

    def __init__(self, message: str | None = None, *, method: str = "", code: str | None = None) -> None:
        self.method = method
        super().__init__(message, code=code)


class PlatformInDoubt(PlatformUnreachable):
    """The request was sent but its answer was lost: the platform may have committed it."""

    code = "E5002"
    default_message = "财政电子票据平台应答丢失，请求结果不确定"
    in_doubt = True


class PlatformBadResponse(PlatformInDoubt):
    """An answer came back but is unusable (HTTP error status, not an envelope, bad signature).

    Treated as in doubt: the platform received the request and may have acted on it.
    """

    code = "E5003"
    default_message = "财政电子票据平台应答无效"


class PlatformRejected(PlatformError, ConnectorError):
    """The platform answered with a failure result; ``code``/``message`` are the platform's own."""

    def __init__(self, code: str, message: str, *, method: str = "") -> None:
        self.method = method
        PlatformError.__init__(self, code, message)

    @property
    def platform_code(self) -> str:
        """The failure code exactly as the platform sent it."""
        return self.code
