"""Shared Qt pieces for the cashier and kiosk apps: the one PySide6 import point (qt.py), task
runner, event bridge, prompter, error display, GUI-thread I/O guard, scanner filter, widgets.

Imports workflows and below, never the apps (DESIGN §2).
"""
