"""The wire vocabulary (billing_core.methods) is one consistent list: groups partition the HIS
interface, every constant is in a group, and billing_core's field tables cover exactly it."""

from __future__ import annotations

from itertools import combinations

import pytest

from billing_core import methods as wire
from billing_core.bills import METHODS
from billing_core.bills.issuing import BILL_SCHEMAS

pytestmark = pytest.mark.unit

#: The behaviour groups every HIS method belongs to exactly one of.
GROUPS = {
    "ISSUE": frozenset(wire.ISSUE), "BATCH": frozenset(wire.BATCH), "RECONCILE": wire.RECONCILE,
    "LOCAL_QUERIES": wire.LOCAL_QUERIES, "PLATFORM_QUERIES": wire.PLATFORM_QUERIES,
    "BILL_CHANGES": wire.BILL_CHANGES, "OTHER_CHANGES": wire.OTHER_CHANGES, "VOUCHER_CHANGES": wire.VOUCHER_CHANGES,
}


def _constants(prefix_terminal: bool) -> dict[str, str]:
    return {k: v for k, v in vars(wire).items()
            if k.isupper() and isinstance(v, str) and k.startswith("TERMINAL_") == prefix_terminal}


def test_groups_partition_the_his_interface() -> None:
    for (a, x), (b, y) in combinations(GROUPS.items(), 2):
        assert not x & y, f"{a} and {b} share {sorted(x & y)}"
    assert frozenset().union(*GROUPS.values()) == wire.HIS_METHODS
    assert len(wire.HIS_METHODS) == 49  # issue 3's list: 48 vendor methods + getEBillLayoutFile
    assert wire.QUERIES == wire.RECONCILE | wire.LOCAL_QUERIES | wire.PLATFORM_QUERIES
    assert wire.CHANGES == wire.BILL_CHANGES | wire.OTHER_CHANGES | wire.VOUCHER_CHANGES
    assert wire.FORWARD_ONLY == wire.PLATFORM_QUERIES | wire.VOUCHER_CHANGES


def test_extensions_and_terminal_methods_stay_apart_from_the_his_interface() -> None:
    assert not wire.EXTENSIONS & wire.HIS_METHODS
    assert wire.PLATFORM_METHODS == wire.HIS_METHODS | wire.EXTENSIONS and len(wire.PLATFORM_METHODS) == 52
    # emergencyStockReturn is both a §17 extension and a terminal method (other endpoint): the only overlap
    assert wire.TERMINAL_METHODS & wire.PLATFORM_METHODS == {wire.EMERGENCY_STOCK_RETURN}


def test_every_constant_is_in_the_vocabulary_and_back() -> None:
    platform = _constants(prefix_terminal=False)
    assert set(platform.values()) == wire.PLATFORM_METHODS
    assert len(platform) == len(set(platform.values()))  # one constant per name
    terminal = _constants(prefix_terminal=True)
    assert set(terminal.values()) == wire.TERMINAL_METHODS and len(terminal) == len(wire.TERMINAL_METHODS)


def test_issue_methods_carry_their_batch_bill_type_and_bus_types() -> None:
    for name, m in wire.ISSUE.items():
        assert m.name == name and m.bus_types
        assert wire.BILL_TYPES[m.bill_type] == name
        if m.batch is not None:
            assert wire.BATCH[m.batch] == name
        assert wire.BUS_TYPES[name] == m.bus_types
    assert set(wire.BATCH.values()) <= set(wire.ISSUE)
    assert wire.INVOICE_EBILL_COMMON not in wire.BATCH.values()  # common bills have no batch method
    assert set(wire.BILL_TYPES) == set(BILL_SCHEMAS)


def test_the_field_tables_cover_the_vocabulary() -> None:
    # getEBillLayoutFile (seed 002, simulator-only) is the one method without a field table
    assert set(METHODS) == wire.PLATFORM_METHODS - {wire.GET_EBILL_LAYOUT_FILE}
    for name, m in wire.ISSUE.items():
        spec = METHODS[name]
        assert (spec.kind, spec.bill_type, spec.bus_types, spec.bus_type) == \
            ("issue", m.bill_type, m.bus_types, m.bus_types[0])
    for batch, single in wire.BATCH.items():
        spec = METHODS[batch]
        assert (spec.kind, spec.bill_type, spec.bus_types) == \
            ("batch_issue", wire.ISSUE[single].bill_type, wire.ISSUE[single].bus_types)
    assert {n for n, s in METHODS.items() if s.kind == "reconcile"} == wire.RECONCILE
    assert {n for n, s in METHODS.items() if s.kind == "voucher"} == wire.VOUCHER_CHANGES
    assert {n for n, s in METHODS.items() if s.kind == "emergency"} == wire.EXTENSIONS
