"""The ward workspace of the cashier app (role 护士 / ward_nurse): 病区一览 (list, arrears
collection, daily list), 出院结算, 住院医保 (record and the way back), 统计查询. Thin Qt over :mod:`workflows.ward`; every call runs
off the GUI thread through the window's TaskRunner."""

from __future__ import annotations

from cashier_app.pages.ward_board import WardBoardPage
from cashier_app.pages.ward_common import WardContext
from cashier_app.pages.ward_discharge import WardDischargePage
from cashier_app.pages.ward_insured import WardInsuredPage
from cashier_app.pages.ward_stats import WardStatsPage
from qt_common.bridge import EventBridge
from qt_common.errors import ErrorPresenter
from qt_common.qt import QTabWidget
from qt_common.tasks import TaskRunner
from workflows.ward.builder import Ward


class WardWorkspace(QTabWidget):
    """The nurse station's pages in one tab of the window."""

    def __init__(self, ward: Ward, tasks: TaskRunner, errors: ErrorPresenter) -> None:
        super().__init__()
        self.setObjectName("wardWorkspace")
        self.ctx = WardContext(ward, tasks, errors, EventBridge(ward.events, self))
        self.board = WardBoardPage(self.ctx)
        self.discharge = WardDischargePage(self.ctx, lambda: self.board.selected)
        self.insured = WardInsuredPage(self.ctx, lambda: self.board.selected)
        self.stats = WardStatsPage(self.ctx)
        self.addTab(self.board, "病区一览")
        self.addTab(self.discharge, "出院结算")
        self.addTab(self.insured, "住院医保")
        self.addTab(self.stats, "统计查询")
        self.board.refresh()
