"""Typed errors of the insurance connector (E5601-E5609), in the three kinds the finance
connector uses (connectors/errors.py), because each needs a different next step:

* :class:`InsuranceUnreachable` (``in_doubt = False``): the request never left; nothing happened.
* :class:`InsuranceInDoubt` (and :class:`InsuranceBadResponse`): sent, no usable answer; a
  settlement (2207/2304) may have been committed: check with 5203, reverse with 2601, never re-send.
* :class:`InsuranceRejected`: the platform answered ``infcode`` ≠ 0; ``err_msg`` is kept.

They subclass the finance connector's errors so the server's error handling (and the breaker
accounting of ``policy``) treats both platforms alike.
"""

from __future__ import annotations

from sync_server.connectors.errors import (
    PlatformBadResponse,
    PlatformInDoubt,
    PlatformRejected,
    PlatformUnreachable,
)


class InsuranceUnreachable(PlatformUnreachable):
    """The request did not reach the insurance platform (not sent)."""

    code = "E5601"
    default_message = "医保平台无法连接（请求未发出）"


class InsuranceInDoubt(InsuranceUnreachable, PlatformInDoubt):
    """Sent, answer lost: the platform may have committed it."""

    code = "E5602"
    default_message = "医保平台应答丢失，交易结果不确定"
    in_doubt = True


class InsuranceBadResponse(InsuranceInDoubt, PlatformBadResponse):
    """An answer came back that is not an envelope (HTTP 500 of the gateway, wrapper without data,
    undecryptable output): treated as in doubt."""

    code = "E5603"
    default_message = "医保平台应答无效"


class InsuranceRejected(PlatformRejected):
    """``infcode`` ≠ 0: the platform refused; ``infcode`` and ``err_msg`` as sent."""

    def __init__(self, infcode: str, err_msg: str, *, infno: str = "") -> None:
        self.infcode = infcode
        self.err_msg = err_msg
        self.infno = infno
        super().__init__("E5604", f"医保平台拒绝交易{infno}（infcode={infcode}）：{err_msg or '无说明'}",
                         method=infno)
