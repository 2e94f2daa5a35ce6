"""Reconciliation of local records against the platform (daily, per billing point)."""
