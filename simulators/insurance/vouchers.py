"""vouchers (to be filled)."""

from __future__ import annotations

from simulators.insurance.context import Handler

REGISTRY: dict[str, Handler] = {}
