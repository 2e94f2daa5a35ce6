"""Errors raised by the sync server itself.

Server runtime codes live in E5020-E5999 (E5001-E5019 belong to the finance connector) and
authentication / authorisation codes in E2010-E2099; every code is listed in the "sync server"
section of docs/ERRORS.md.
"""

from __future__ import annotations

from billing_core.errors import BillingError


class ServerError(BillingError):
    """Root of the sync server's own errors."""

    code = "E5020"
    default_message = "同步服务器内部错误"


class UnknownMethodError(ServerError):
    """The method name in the URL is not one the server offers to this caller."""

    code = "E5021"
    default_message = "不支持的接口方法"


class NotFoundError(ServerError):
    """A bill (or paper bill, batch ...) named in the request is not in the server's records."""

    code = "E5022"
    default_message = "未找到对应的票据记录"


class PlatformUnavailableError(ServerError):
    """The platform is unreachable and the method cannot be answered or queued locally."""

    code = "E5023"
    default_message = "财政电子票据平台暂不可达，请稍后重试"


class BusyError(ServerError):
    """Another request for the same busNo is still being processed."""

    code = "E5024"
    default_message = "该业务流水号正在开票处理中，请稍后查询"


class BillStateError(ServerError):
    """The bill's state forbids the operation (already written off, voided, paper not voided ...)."""

    code = "E5025"
    default_message = "票据当前状态不允许此操作"


class RequestDataError(ServerError):
    """A required field is missing or malformed (the server's own checks on non-issuing methods)."""

    code = "E5026"
    default_message = "请求数据不完整或格式错误"


class EmergencyStockError(ServerError):
    """No emergency number is left for the billing point."""

    code = "E5030"
    default_message = "开票点应急票据库存不足，无法应急开票"


class CarryForwardConflict(ServerError):
    """At carry-forward the platform already held another bill for the busNo."""

    code = "E5031"
    default_message = "应急票据结转冲突：平台已存在该业务流水号的票据"


class TerminalSignatureError(ServerError):
    """A terminal's SM2 public key or signature is unusable."""

    code = "E5032"
    default_message = "终端SM2公钥或签名无效"


class BusNoConflictError(ServerError):
    """A busNo already holds a bill (or claim) whose request differs from this one: another
    caller's bill, or the same busNo sent again with different content."""

    code = "E5033"
    default_message = "业务流水号busNo已被使用且开票内容不一致，不能重复开票"


class AuthError(BillingError):
    """Root of authentication / authorisation refusals."""

    code = "E2010"
    default_message = "调用方未授权"


class PlaceNotGrantedError(AuthError):
    """The caller is known but not granted the billing point named in the request."""

    code = "E2011"
    default_message = "调用方未被授权使用该开票点"


class UnknownPlaceError(AuthError):
    """The billing point named in the request does not exist."""

    code = "E2012"
    default_message = "开票点不存在"


class CallerDisabledError(AuthError):
    """The caller account has been disabled."""

    code = "E2013"
    default_message = "调用方已停用"


class LoginError(AuthError):
    """User name or password wrong, or the user is disabled."""

    code = "E2014"
    default_message = "用户名或密码错误"


class RoleError(AuthError):
    """The caller kind (HIS vs terminal) may not use this method."""

    code = "E2015"
    default_message = "调用方类型无权调用此接口"


class RequestLimitError(ServerError):
    """Root of the request limits (issue 14 §8): size, nesting, list lengths (sync_server.api.limits)."""

    code = "E5060"
    default_message = "请求超出服务器允许的大小"


class BodyTooLargeError(RequestLimitError):
    """The HTTP body is larger than the server accepts (Flask ``MAX_CONTENT_LENGTH``)."""

    code = "E5060"
    default_message = "请求报文过大"


class NestingTooDeepError(RequestLimitError):
    """The JSON of the envelope or of its ``data`` is nested deeper than any platform request."""

    code = "E5061"
    default_message = "请求JSON嵌套层数过多"


class ListTooLongError(RequestLimitError):
    """A list field (chargeDetail, listDetail, eBillList ...) has more entries than allowed."""

    code = "E5062"
    default_message = "请求中的列表条数超出上限"


class ReplayError(AuthError):
    """The signed envelope was already accepted once (same appid, noise and signature)."""

    code = "E2060"
    default_message = "重复的请求（noise已使用），已拒绝重放"


class RequestStampError(AuthError):
    """A terminal request's signed stamp (method and time in the noise) is missing or too old."""

    code = "E2061"
    default_message = "终端请求的签名时间戳缺失或与服务器时间相差过大"


class SignedMethodError(AuthError):
    """The method signed into a terminal request differs from the method of the URL."""

    code = "E2062"
    default_message = "签名中的接口方法与请求地址不一致"

class SessionError(AuthError):
    """The terminal's session token is missing, unknown, expired, revoked or of another terminal."""

    code = "E2030"
    default_message = "登录会话无效或已过期，请重新登录"


class PasswordChangeRequired(AuthError):
    """The user's password expired or was reset by an admin: only a password change is allowed."""

    code = "E2031"
    default_message = "密码已过期或已被重置，请先修改密码"


class LoginLockedError(AuthError):
    """Too many failed logins within the window: the user is locked for a while."""

    code = "E2032"
    default_message = "登录失败次数过多，账户已暂时锁定，请稍后再试"


class UserRoleError(AuthError):
    """The session's user lacks the role the method needs (write-off, paper, void, stock, admin)."""

    code = "E2033"
    default_message = "当前用户角色无权执行此操作"


class WeakPasswordError(AuthError):
    """A new password breaks the password rules (length, letters and digits, not the old one)."""

    code = "E2034"
    default_message = "新密码不符合要求"


class SearchCriteriaError(ServerError):
    """findBills without any criterion, or with a criterion too short to search by (issue 18 §1)."""

    code = "E5920"
    default_message = "请至少填写一个查询条件：业务流水号、票据号码、交款人、身份证号、手机号或卡号"


class SearchPageError(ServerError):
    """findBills with a page number or page size that is not a positive integer in range."""

    code = "E5921"
    default_message = "pageNo/pageSize必须是正整数，pageNo不超过100000，pageSize不超过100"
