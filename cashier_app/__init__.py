"""The cashier window and finance office desktop application (PySide6 Widgets, issue 8).

A thin GUI over workflows.cashier: every handler runs a workflow call through
qt_common.tasks.TaskRunner and re-renders from session state; no business rule lives in a widget.
"""
