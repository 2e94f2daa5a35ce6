"""Every method handler of the simulated platform, registered by importing its module here.

Handlers register themselves with :func:`simulators.finance.platform.method` when their module
is imported; this module imports all of them, so whoever reads :data:`HANDLERS` through it (the
HIS interface in :mod:`simulators.finance.api`, tests) sees the complete table whatever else
happened to be imported before.
"""

from __future__ import annotations

from simulators.finance import h_baseinfo, h_bills, h_emergency, h_issue, h_paper, h_recon, h_stock
from simulators.finance.platform import HANDLERS, RAW_METHODS

#: the handler modules, in the order they register
MODULES = (h_issue, h_emergency, h_bills, h_paper, h_recon, h_stock, h_baseinfo)

__all__ = ["HANDLERS", "MODULES", "RAW_METHODS"]
