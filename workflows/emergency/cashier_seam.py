"""DEPRECATED: the former cashier emergency seam over :class:`~workflows.issuing.IssuingWorkflow`.

The cashier window no longer has a second issuing path: ``workflows.cashier`` issues through
``IssuingWorkflow.issue`` itself (online, in-doubt lookup, emergency) and shows its status and
UploadReport directly. Nothing in the product imports this module any more; it stays only
because ``tests/integration/terminal/test_workflow_server.py::test_cashier_seam_issues_offline_
and_drains_with_progress`` (not the cashier's to edit) still exercises it. Delete this file
together with that test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from workflows.emergency.upload import Progress
from workflows.issuing import IssuingWorkflow


@dataclass(frozen=True, slots=True)
class EmergencyStatus:
    """Stock and limit usage in the seam's old shape."""

    remaining: int
    issued: int
    max_bills: int
    amount: Decimal
    max_amount: Decimal
    pending_uploads: int
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class CarryForwardResult:
    """Bills carried forward, and conflicts / failures as Chinese lines."""

    carried: int = 0
    conflicts: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class WorkflowEmergency:
    """The old seam's three calls over an :class:`IssuingWorkflow` (deprecated, see the module)."""

    def __init__(self, workflow: IssuingWorkflow) -> None:
        self.workflow = workflow

    def issue(self, method: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """One emergency bill; the §3.4-shaped answer plus ``emergency``, ``notices`` and ``printJobId``.

        :raises LimitExceededError: a hard limit (E8301-E8304); :raises NoStockError: E8201.
        """
        outcome = self.workflow.issue_emergency(method, dict(data))
        return {**outcome.answer, "emergency": True, "printJobId": outcome.print_job_id,
                "notices": [n.message for n in outcome.notices]}

    def status(self) -> EmergencyStatus:
        """Stock, usage against the limits and warnings, for the status bar."""
        st = self.workflow.status()
        limits = self.workflow.limits
        issued = st.pending_uploads
        return EmergencyStatus(remaining=st.stock_remaining, issued=issued, max_bills=limits.max_bills,
                               amount=st.pending_total, max_amount=limits.max_total,
                               pending_uploads=st.pending_uploads, warnings=tuple(n.message for n in st.notices))

    def drain(self, api: object, progress: Progress) -> CarryForwardResult:
        """Upload the journal in order; conflicts and refusals are listed for the cashier."""
        report = self.workflow.upload_pending(progress)
        result = CarryForwardResult(carried=report.accepted + report.duplicates)
        for d in report.details:
            if d["status"] == "conflict":
                result.conflicts.append(f"应急票据{d['billNo']}（业务流水号{d['busNo']}）：{d['message'] or '平台已有该业务的票据，应急号码已作废'}")
            elif d["status"] == "rejected":
                result.failed.append(f"应急票据{d['billNo']}：{d['result']} {d['message']}")
        if report.stopped:
            result.failed.append(f"上传中断：{report.stopped}（剩余{report.remaining}张，联网后自动续传）")
        return result
