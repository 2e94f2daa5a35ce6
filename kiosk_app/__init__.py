"""The patient self-service kiosk: full-screen PySide6 screens in a stack over ``workflows.kiosk``.

Thin by rule (DESIGN.md §2): every decision lives in the Qt-free kiosk session; screens show its
view models and forward taps. Imports qt_common and below, never cashier_app.
"""
