"""Fixtures: a demo window over the in-process stateful demo platform, with a manual clock.

The window is the real one: IssuingWorkflow, offline_store in a temporary file, the SyncClient
with its breaker; only the SyncClient's transport is the in-process DemoTransport (no sockets).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from billing_core.clock import ManualClock
from workflows.cashier.entry import EntryForm
from workflows.cashier.services import CashierServices
from workflows.demo.cashier import demo_services
from workflows.demo.platform import DemoPlatform
from workflows.demo.users import DEMO_PASSWORD


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def window(clock: ManualClock, tmp_path) -> Iterator[tuple[CashierServices, DemoPlatform]]:
    services, platform = demo_services(tmp_path, clock=clock, idle_seconds=60)
    services.login.login("sf01", DEMO_PASSWORD)
    yield services, platform
    services.close()


def outpatient_form(services: CashierServices, amount: str = "35.00") -> EntryForm:
    """A clean outpatient bill: 诊查费 10 + 化验费 25, paid in cash."""
    form = EntryForm("outpatient", services.catalog)
    form.header.update(payer="刘洋", card_no="3101000123", patient_no="MZ0001", sex="男", age="34",
                       tel="13800138000")
    form.add_item("102")
    form.add_item("301")
    form.set_pay("02", amount)
    return form
