"""The two authorisation tables of the server (issue 14 item 4), in one place.

* :data:`CALLER_METHODS` — which methods each caller kind may call at all (HIS, our cashier
  terminal, the coming self-service kiosk and ward station). A method outside its kind's list is
  refused with E2015 before anything is read or written.
* :data:`METHOD_ROLES` — which user roles (sync_server.security.auth.ROLES) a terminal session
  needs for each change method. Queries, heartbeat and catalog need no particular role.

What the roles mean (DESIGN.md §3): the cashier issues, exchanges and reprints paper; finance
(财务) also red-flushes (write-off), voids blank paper and manages paper stock; the ward nurse issues inpatient
bills; admin may do everything; IT and finance give back emergency stock (申退).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from billing_core import methods
from sync_server.errors import RoleError, UserRoleError

ISSUERS = frozenset({"cashier", "finance", "ward_nurse", "admin"})
WRITE_OFF = frozenset({"finance", "admin"})
PAPER = frozenset({"cashier", "finance", "admin"})
VOID = frozenset({"finance", "admin"})
STOCK = frozenset({"finance", "admin", "it"})
#: hospital-wide reports and the finance configuration (issue 18 §3, §4)
FINANCE = frozenset({"finance", "admin"})
#: users and callers managed from the screens; the audit log read by admin, finance and IT
ADMIN = frozenset({"admin"})
AUDIT_VIEW = frozenset({"admin", "finance", "it"})
#: the finance office's bill stock (issue 18 §2): view and every change
FINANCE_STOCK = frozenset({"finance", "admin"})
#: Roles whose window session reaches bills at every billing point of the hospital (issue 18 §1:
#: any bill at any window), for finding them (``findBills``) and for the changes their role allows
#: anyway (paper: cashier; write-off: finance) — the role table below is applied unchanged.
HOSPITAL_WIDE = frozenset({"cashier", "finance", "admin"})
#: Caller kinds where a hospital-wide session may work: the cashier / finance window only.
HOSPITAL_WIDE_KINDS = frozenset({"terminal"})

_ISSUING = frozenset(methods.ISSUE) | frozenset(methods.BATCH)

#: method -> roles of the session user that may call it (methods absent: any logged-in user).
METHOD_ROLES: Mapping[str, frozenset[str]] = MappingProxyType({
    **{m: ISSUERS for m in _ISSUING},
    **{m: ISSUERS for m in (methods.RECEIVE_ARREARS_FEEDBACK, methods.RECEIVE_LIST_DETAIL,
                            methods.SEND_BILL_NOTICE, methods.INVOICE_PAYMENT_VOUCHER)},
    **{m: WRITE_OFF for m in (methods.WRITE_OFF_EBILL, methods.WRITE_OFF_EBILL_TO_PAPER,
                              methods.WRITE_OFF_PAYMENT_VOUCHER, methods.CANCEL_PAYMENT_VOUCHER_BALANCE)},
    # a reprint voids the printed paper and exchanges again: one cashier action (invalidPaper)
    **{m: PAPER for m in (methods.TURN_PAPER, methods.RE_TURN_PAPER, methods.INVALID_PAPER)},
    # blank paper stock voided (torn, lost) is accounted by finance
    **{m: VOID for m in (methods.INVALID_BLANK_BILL_NO, methods.INVALID_PAYMENT_VOUCHER_PAPER)},
    methods.TERMINAL_FIND_BILLS: HOSPITAL_WIDE,
    **{m: STOCK for m in (methods.BILL_STOCK_OUT, methods.BILL_STOCK_RETURN, methods.TERMINAL_STOCK_RETURN)},
    **{m: FINANCE_STOCK for m in methods.TERMINAL_STOCK_METHODS},
    # insurance (issue 16 §3): who settles may register, upload, pre-settle, settle and cancel the
    # settlement before the patient leaves; a reversal (2601) and the reconciliation are finance's
    **{m: ISSUERS for m in (methods.INS_REGISTER, methods.INS_UPLOAD_FEES, methods.INS_DISCHARGE, methods.INS_PRE_SETTLE,
                            methods.INS_SETTLE, methods.INS_CANCEL, methods.INS_CANCEL_FEES,
                            methods.INS_CANCEL_REGISTRATION, methods.INS_CHANGE_ADMISSION,
                            methods.INS_CANCEL_DISCHARGE, methods.INS_UPLOAD_SETTLEMENT_LIST,
                            methods.INS_VOUCHER_UPLOAD, methods.INS_VOUCHER_REUPLOAD)},
    **{m: WRITE_OFF for m in (methods.INS_REVERSE, methods.INS_RECONCILE)},
    methods.TERMINAL_REPORT: FINANCE, methods.TERMINAL_CONFIG: FINANCE, methods.TERMINAL_BASE_INFO: FINANCE,
    methods.TERMINAL_USERS: ADMIN, methods.TERMINAL_CALLERS: ADMIN,
    methods.TERMINAL_AUDIT: AUDIT_VIEW,
})

#: Terminal-api methods that need no session and always act as the terminal itself: logging in,
#: changing an expired password, and the machine's own automatic traffic (heartbeat, catalog, key
#: registration, the emergency-stock top-up of the maintenance round, upload of emergency bills
#: already issued and signed) — whoever is logged in at the window.
SESSIONLESS = frozenset({methods.TERMINAL_LOGIN, methods.TERMINAL_CHANGE_PASSWORD, methods.TERMINAL_LOGOUT,
                         methods.TERMINAL_HEARTBEAT, methods.TERMINAL_CATALOG, methods.TERMINAL_UPLOAD,
                         methods.TERMINAL_REGISTER, methods.TERMINAL_STOCK_OUT})

_ACCOUNT = frozenset({methods.TERMINAL_LOGIN, methods.TERMINAL_CHANGE_PASSWORD, methods.TERMINAL_LOGOUT})
_MACHINE = frozenset({methods.TERMINAL_REGISTER, methods.TERMINAL_HEARTBEAT, methods.TERMINAL_CATALOG})

#: caller kind -> every method it may call (HIS: the platform interface only, never ``login``).
CALLER_METHODS: Mapping[str, frozenset[str]] = MappingProxyType({
    "his": methods.HIS_METHODS,
    "terminal": methods.HIS_METHODS | methods.TERMINAL_METHODS | methods.INSURANCE_METHODS,
    # self-service kiosk: issue, query, print paper and notices; no write-off, void or paper stock.
    # Its prepayment top-ups and inpatient deposits (issue 15 §3) are issued as prepayment vouchers.
    "kiosk": (_ISSUING | methods.QUERIES | _ACCOUNT | _MACHINE
              | {methods.TURN_PAPER, methods.SEND_BILL_NOTICE, methods.INVOICE_PAYMENT_VOUCHER,
                 methods.TERMINAL_STOCK_OUT,
                 methods.TERMINAL_STOCK_RETURN, methods.TERMINAL_UPLOAD}
              # a patient settles (and backs out of) their own outpatient visit; reversal, reconciliation,
              # inpatient changes and the settlement list stay with staff
              | (methods.INSURANCE_METHODS - {methods.INS_REVERSE, methods.INS_RECONCILE, methods.INS_CHANGE_ADMISSION,
                                              methods.INS_CANCEL_DISCHARGE, methods.INS_UPLOAD_SETTLEMENT_LIST})),
    # ward station: inpatient issuing and queries; the deposit voucher of arrears collected at the
    # nurse station (issue 17); emergency stock so billing goes on offline; the inpatient
    # insurance steps (admission, fees, discharge, pre-settle, settle, cancel), not reversal
    "ward": (frozenset({methods.INV_EBILL_HOSPITALIZED, methods.BATCH_INVOICE_EBILL_HOSPITALIZED,
                        methods.INVOICE_PAYMENT_VOUCHER, methods.TERMINAL_STOCK_OUT,
                        methods.TERMINAL_STOCK_RETURN, methods.TERMINAL_UPLOAD})
             | methods.QUERIES | _ACCOUNT | _MACHINE | {methods.SEND_BILL_NOTICE}
             | methods.INSURANCE_QUERIES
             | {methods.INS_REGISTER, methods.INS_UPLOAD_FEES, methods.INS_DISCHARGE, methods.INS_PRE_SETTLE,
                methods.INS_SETTLE, methods.INS_CANCEL, methods.INS_VOUCHER_UPLOAD,
                methods.INS_VOUCHER_REUPLOAD,
                # the inpatient way back (issue 16 §4, issue 17): fees, discharge, admission
                methods.INS_CANCEL_FEES, methods.INS_CANCEL_DISCHARGE, methods.INS_CANCEL_REGISTRATION,
                methods.INS_CHANGE_ADMISSION}),
})

#: Caller kinds where a person works: their role-gated methods need that person's session (or the
#: terminal's machine account's); a kiosk serves patients and acts as itself.
STAFFED_KINDS = frozenset({"terminal", "ward"})

#: Every caller kind an admin may register.
KINDS = tuple(CALLER_METHODS)


def check_kind(kind: str, appid: str, method: str) -> None:
    """Refuse (E2015) a method outside the caller kind's list."""
    if method not in CALLER_METHODS.get(kind, frozenset()):
        raise RoleError(f"调用方{appid}（类型{kind}）无权调用{method}")


def check_role(role: str, method: str) -> None:
    """Refuse (E2033) a method the session user's role may not call."""
    needed = METHOD_ROLES.get(method)
    if needed is not None and role not in needed:
        raise UserRoleError(f"角色{role}无权执行{method}")


def needs_session(method: str) -> bool:
    """True for methods a terminal must send with a session when sessions are required."""
    return method in METHOD_ROLES and method not in SESSIONLESS
