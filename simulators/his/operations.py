"""Every operation of the interface: importing the operation modules registers their handlers in
:data:`simulators.his.registry.OPS` (one module per area, docs/HIS_ADAPTER.md §3)."""

from __future__ import annotations

from simulators.his import issuer, ops_charges, ops_clinic, ops_inpatient, ops_patients, ops_settlements
from simulators.his.registry import OPS, Op

#: The modules that hold the handlers, in the order of docs/HIS_ADAPTER.md.
MODULES = (ops_patients, ops_clinic, ops_charges, ops_inpatient, ops_settlements, issuer)

__all__ = ["MODULES", "OPS", "Op"]
