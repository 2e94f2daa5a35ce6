"""Errors of the settlement voucher calls (E5640-E5649; docs/ERRORS.md "sync server: insurance vouchers")."""

from __future__ import annotations

from sync_server.insurance.errors import InsuranceError


class VoucherError(InsuranceError):
    """Root of the voucher errors."""

    code = "E5640"
    default_message = "电子结算凭证请求数据错误"


class VoucherStateError(VoucherError):
    """The settlement is not settled (a voucher belongs to a valid settlement)."""

    code = "E5641"
    default_message = "医保结算未完成或已撤销，不能上传电子结算凭证"


class VoucherBillError(VoucherError):
    """The bill named is unknown to the server, red-flushed, or not the settlement's amount."""

    code = "E5642"
    default_message = "票据与医保结算不符，不能上传电子结算凭证"


class VoucherConflictError(VoucherError):
    """The settlement's voucher was already queued for another bill."""

    code = "E5643"
    default_message = "该医保结算已为其他票据上传电子结算凭证"


class VoucherNotFoundError(VoucherError):
    """No voucher was queued for the settlement."""

    code = "E5644"
    default_message = "该医保结算尚未上传电子结算凭证"


class VoucherReuploadError(VoucherError):
    """A re-upload (4905) of a voucher the centre did not refuse: accepted already, still on its
    first upload, or refused before the centre kept it (4905 replaces only a kept voucher)."""

    code = "E5645"
    default_message = "该电子结算凭证不需要或不能重传"
