"""The methods vocabulary (billing_core.methods) is one consistent list: groups partition the HIS
interface, every constant is in a group, and billing_core's field tables cover exactly it."""

from __future__ import annotations

from itertools import combinations

import pytest

from billing_core import methods
from billing_core.bills import METHODS
from billing_core.bills.issuing import BILL_SCHEMAS

pytestmark = pytest.mark.unit

#: The behaviour groups every HIS method belongs to exactly one of.
GROUPS = {
    "ISSUE": frozenset(methods.ISSUE), "BATCH": frozenset(methods.BATCH), "RECONCILE": methods.RECONCILE,
    "LOCAL_QUERIES": methods.LOCAL_QUERIES, "PLATFORM_QUERIES": methods.PLATFORM_QUERIES,
    "BILL_CHANGES": methods.BILL_CHANGES, "OTHER_CHANGES": methods.OTHER_CHANGES, "VOUCHER_CHANGES": methods.VOUCHER_CHANGES,
}


def _constants(prefix_terminal: bool, prefix: str = "TERMINAL_") -> dict[str, str]:
    return {k: v for k, v in vars(methods).items()
            if k.isupper() and isinstance(v, str) and not k.startswith("INS_" if prefix == "TERMINAL_" else "TERMINAL_")
            and k.startswith(prefix) == prefix_terminal and (prefix_terminal or not k.startswith("INS_"))}


def test_groups_partition_the_his_interface() -> None:
    for (a, x), (b, y) in combinations(GROUPS.items(), 2):
        assert not x & y, f"{a} and {b} share {sorted(x & y)}"
    assert frozenset().union(*GROUPS.values()) == methods.HIS_METHODS
    assert len(methods.HIS_METHODS) == 49  # issue 3's list: 48 vendor methods + getEBillLayoutFile
    assert methods.QUERIES == methods.RECONCILE | methods.LOCAL_QUERIES | methods.PLATFORM_QUERIES
    assert methods.CHANGES == methods.BILL_CHANGES | methods.OTHER_CHANGES | methods.VOUCHER_CHANGES
    assert methods.FORWARD_ONLY == methods.PLATFORM_QUERIES | methods.VOUCHER_CHANGES


def test_extensions_and_terminal_methods_stay_apart_from_the_his_interface() -> None:
    assert not methods.EXTENSIONS & methods.HIS_METHODS
    assert not methods.STOCK_EXTENSIONS & (methods.HIS_METHODS | methods.EXTENSIONS)
    assert not methods.BASE_INFO_EXTENSIONS & (methods.HIS_METHODS | methods.EXTENSIONS | methods.STOCK_EXTENSIONS)
    assert methods.PLATFORM_METHODS == (methods.HIS_METHODS | methods.EXTENSIONS | methods.STOCK_EXTENSIONS
                                        | methods.BASE_INFO_EXTENSIONS)
    assert len(methods.PLATFORM_METHODS) == 58
    # emergencyStockReturn is both a §17 extension and a terminal method (other endpoint): the only overlap
    assert methods.TERMINAL_METHODS & methods.PLATFORM_METHODS == {methods.EMERGENCY_STOCK_RETURN}


def test_every_constant_is_in_the_vocabulary_and_back() -> None:
    platform = _constants(prefix_terminal=False)
    assert set(platform.values()) == methods.PLATFORM_METHODS
    assert len(platform) == len(set(platform.values()))  # one constant per name
    terminal = _constants(prefix_terminal=True)
    assert set(terminal.values()) == methods.TERMINAL_METHODS and len(terminal) == len(methods.TERMINAL_METHODS)
    insurance = _constants(prefix_terminal=True, prefix="INS_")
    assert set(insurance.values()) == methods.INSURANCE_METHODS and len(insurance) == len(methods.INSURANCE_METHODS)
    assert methods.INSURANCE_QUERIES <= methods.INSURANCE_METHODS
    assert not methods.INSURANCE_METHODS & (methods.PLATFORM_METHODS | methods.TERMINAL_METHODS)


def test_issue_methods_carry_their_batch_bill_type_and_bus_types() -> None:
    for name, m in methods.ISSUE.items():
        assert m.name == name and m.bus_types
        assert methods.BILL_TYPES[m.bill_type] == name
        if m.batch is not None:
            assert methods.BATCH[m.batch] == name
        assert methods.BUS_TYPES[name] == m.bus_types
    assert set(methods.BATCH.values()) <= set(methods.ISSUE)
    assert methods.INVOICE_EBILL_COMMON not in methods.BATCH.values()  # common bills have no batch method
    assert set(methods.BILL_TYPES) == set(BILL_SCHEMAS)


def test_the_field_tables_cover_the_vocabulary() -> None:
    # getEBillLayoutFile (seed 002, simulator-only), the stock and base-info extensions (issue 18,
    # checked by their handlers) have no field table
    assert set(METHODS) == (methods.PLATFORM_METHODS - {methods.GET_EBILL_LAYOUT_FILE} - methods.STOCK_EXTENSIONS
                            - methods.BASE_INFO_EXTENSIONS)
    for name, m in methods.ISSUE.items():
        spec = METHODS[name]
        assert (spec.kind, spec.bill_type, spec.bus_types, spec.bus_type) == \
            ("issue", m.bill_type, m.bus_types, m.bus_types[0])
    for batch, single in methods.BATCH.items():
        spec = METHODS[batch]
        assert (spec.kind, spec.bill_type, spec.bus_types) == \
            ("batch_issue", methods.ISSUE[single].bill_type, methods.ISSUE[single].bus_types)
    assert {n for n, s in METHODS.items() if s.kind == "reconcile"} == methods.RECONCILE
    assert {n for n, s in METHODS.items() if s.kind == "voucher"} == methods.VOUCHER_CHANGES
    assert {n for n, s in METHODS.items() if s.kind == "emergency"} == methods.EXTENSIONS
