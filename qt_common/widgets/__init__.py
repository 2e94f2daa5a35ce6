"""Shared widgets: money label, bill table, status-bar pieces."""
