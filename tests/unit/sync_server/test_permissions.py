"""The authorisation tables (sync_server/security/permissions.py, issue 14 item 4) are complete
and consistent: every change method a terminal can call needs a role, HIS never logs in."""

from __future__ import annotations

import pytest

from billing_core import methods
from sync_server.errors import RoleError, UserRoleError
from sync_server.security import permissions
from sync_server.security.auth import ROLES

pytestmark = pytest.mark.unit


def test_every_change_method_needs_a_known_role() -> None:
    changes = set(methods.ISSUE) | set(methods.BATCH) | methods.CHANGES
    assert changes <= set(permissions.METHOD_ROLES)
    assert all(roles and roles <= set(ROLES) for roles in permissions.METHOD_ROLES.values())
    assert all("admin" in roles for roles in permissions.METHOD_ROLES.values())


def test_caller_kinds() -> None:
    everything = methods.HIS_METHODS | methods.TERMINAL_METHODS | methods.INSURANCE_METHODS
    assert all(allowed <= everything for allowed in permissions.CALLER_METHODS.values())
    assert permissions.CALLER_METHODS["his"] == methods.HIS_METHODS
    with pytest.raises(RoleError):
        permissions.check_kind("his", "HIS01", methods.TERMINAL_LOGIN)
    with pytest.raises(RoleError):
        permissions.check_kind("kiosk", "K1", methods.WRITE_OFF_EBILL)
    with pytest.raises(RoleError):
        permissions.check_kind("nobody", "X", methods.GET_EBILL_BY_BUS_NO)
    permissions.check_kind("ward", "W1", methods.INV_EBILL_HOSPITALIZED)
    # insurance (issue 16 §3): a kiosk settles its patient's visit; reversal and reconciliation are not its
    permissions.check_kind("kiosk", "K1", methods.INS_SETTLE)
    for method in (methods.INS_REVERSE, methods.INS_RECONCILE):
        with pytest.raises(RoleError):
            permissions.check_kind("kiosk", "K1", method)
    # issue 17: the ward settles inpatients (admission .. settle, cancel) and collects deposits
    # (their vouchers); reversal and reconciliation stay with finance
    permissions.check_kind("ward", "W1", methods.INS_SETTLE)
    permissions.check_kind("ward", "W1", methods.INVOICE_PAYMENT_VOUCHER)
    for method in (methods.INS_REVERSE, methods.INS_RECONCILE, methods.WRITE_OFF_EBILL):
        with pytest.raises(RoleError):
            permissions.check_kind("ward", "W1", method)
    with pytest.raises(RoleError):
        permissions.check_kind("his", "HIS01", methods.INS_PERSON_INFO)
    permissions.check_kind("kiosk", "K1", methods.INVOICE_PAYMENT_VOUCHER)  # kiosk top-ups and deposits


def test_roles() -> None:
    with pytest.raises(UserRoleError):
        permissions.check_role("cashier", methods.WRITE_OFF_EBILL)
    with pytest.raises(UserRoleError):
        permissions.check_role("cashier", methods.INVALID_BLANK_BILL_NO)
    permissions.check_role("finance", methods.WRITE_OFF_EBILL)
    permissions.check_role("cashier", methods.TURN_PAPER)
    permissions.check_role("it", methods.GET_EBILL_BY_BUS_NO)  # queries: any logged-in user
    assert not permissions.needs_session(methods.TERMINAL_HEARTBEAT)
    assert permissions.needs_session(methods.WRITE_OFF_EBILL)
    permissions.check_role("cashier", methods.INS_SETTLE)
    with pytest.raises(UserRoleError):
        permissions.check_role("cashier", methods.INS_REVERSE)
    permissions.check_role("finance", methods.INS_RECONCILE)
    assert permissions.needs_session(methods.INS_SETTLE) and not permissions.needs_session(methods.INS_PERSON_INFO)
