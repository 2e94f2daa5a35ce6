"""Error types shared by every package.

Every error that can reach a person or another system carries a stable code and a Chinese
message. Codes look like ``E1001`` so that they fit the platform envelope's ``result`` field
(``S0000`` success, ``EXXXX`` failure, spec §1.4). Every code used anywhere is listed in
docs/ERRORS.md; a test fails when one is missing.

Code ranges:

* ``E1xxx`` request validation (billing_core.validation)
* ``E2xxx`` envelope, signature, caller and authorisation
* ``E3xxx`` bill business rules on the platform / server (not found, written off, paper ...)
* ``E4xxx`` stock and emergency issuing
* ``E5xxx`` server and terminal runtime
* ``E6xxx`` devices
* ``E7xxx`` printing
* ``E9xxx`` crypto and internal
"""

from __future__ import annotations

from dataclasses import dataclass, field


class BillingError(Exception):
    """Root of our errors: a stable ``code`` and a Chinese ``message`` safe to show a user."""

    code: str = "E9000"
    default_message: str = "系统内部错误"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        super().__init__(f"{self.code} {self.message}")


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem in a request: stable code, dotted field path and a Chinese message."""

    code: str
    path: str
    message: str
    #: True for a rule of ours stricter than the finance platform's spec (docs/VALIDATION_RULES.md):
    #: strict callers refuse it like any issue, lenient ones (the sync server) log it as a warning.
    extra: bool = field(default=False, compare=False)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "message": self.message}


@dataclass
class ValidationError(BillingError):
    """A request failed validation; ``issues`` holds every problem found, not just the first."""

    issues: list[ValidationIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        first = self.issues[0] if self.issues else None
        self.code = first.code if first else "E1000"
        summary = "；".join(f"{i.path}: {i.message}" for i in self.issues[:5])
        more = f"（另有{len(self.issues) - 5}项）" if len(self.issues) > 5 else ""
        BillingError.__init__(self, (summary + more) or "请求数据校验失败", code=self.code)

    def __str__(self) -> str:  # dataclass would otherwise replace Exception.__str__
        return f"{self.code} {self.message}"


class EnvelopeError(BillingError):
    """The envelope itself is unusable: bad JSON, bad base64, missing keys, bad signature."""

    code = "E2001"
    default_message = "报文格式错误"


class SignatureError(EnvelopeError):
    """The MD5 signature of a request or response does not match."""

    code = "E2002"
    default_message = "签名验证失败"


class PlatformError(BillingError):
    """The platform answered with a failure result (anything other than ``S0000``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class CryptoError(BillingError):
    """SM2/SM3/SM4 failures: bad key, bad ciphertext, failed integrity check."""

    code = "E9101"
    default_message = "密码运算失败"
