"""Fixtures of the workflow unit tests: an in-file store, a signer, a workflow whose link is down.

No sockets: the sync client points at a URL that is never contacted because its breaker is
opened first (what a real outage leaves behind), so every bill goes the emergency path.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from billing_core.clock import ManualClock
from billing_core.crypto import SM2PrivateKey
from billing_core.printjob import PrintJob
from offline_store import stock
from offline_store.db import Database
from workflows.emergency.chain import BillSigner
from workflows.emergency.limits import EmergencyLimits
from workflows.issuing import Identity, IssuingWorkflow
from workflows.sync_client import SyncClient

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "requests" / "outpatient.json"
METHOD = "invoiceEBillOutpatient"


def outpatient(bus_no: str) -> dict[str, Any]:
    """The sample outpatient request (386.50 yuan) with its own busNo."""
    data: dict[str, Any] = copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))
    data["busNo"] = bus_no
    return data


class RecordingPrinter:
    """Keeps every job it is given; ``fail`` makes the next print raise OSError."""

    def __init__(self) -> None:
        self.jobs: list[PrintJob] = []
        self.fail = False

    def print_job(self, job: PrintJob) -> None:
        if self.fail:
            raise OSError("printer gone")
        self.jobs.append(job)


@pytest.fixture(scope="session")
def signer() -> BillSigner:
    return BillSigner(SM2PrivateKey.generate())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "terminal.db")
    yield database
    database.close()


def make_workflow(db: Database, clock: ManualClock, signer: BillSigner, limits: EmergencyLimits | None = None,
                  printer: RecordingPrinter | None = None, stock_size: int = 50) -> IssuingWorkflow:
    """A workflow with its link already down and one emergency block of ``stock_size`` numbers."""
    sync = SyncClient("http://127.0.0.1:9", "T1", "k1", clock=clock, failure_threshold=1, open_seconds=3600)
    sync.breaker.failure("测试：链路中断")
    if stock_size:
        stock.add_block(db, "001", "42060126", "9000000001", f"{9000000000 + stock_size:010d}", "20261123090000000")
    return IssuingWorkflow(sync, db, printer, clock, Identity("T1", "001", "测试医院", "门诊一楼"), signer,
                           limits=limits or EmergencyLimits())


@pytest.fixture
def printer() -> RecordingPrinter:
    return RecordingPrinter()


@pytest.fixture
def workflow(db: Database, clock: ManualClock, signer: BillSigner, printer: RecordingPrinter) -> IssuingWorkflow:
    return make_workflow(db, clock, signer, printer=printer)
