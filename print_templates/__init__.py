"""Every document the cashier windows and kiosks print, built once as a printer-neutral job.

Documents (:mod:`print_templates.documents`) turn plain inputs (the platform's issue request and
response, plus context) into :class:`billing_core.printjob.PrintJob` (thermal rolls) or
:class:`billing_core.printjob.PageJob` (sheets: paper bill forms, A4 list pages). The QPainter
renderer (:mod:`print_templates.render_qt`, the only module here that imports PySide6 together
with :mod:`print_templates.fonts`) draws them to PDF and PNG; ESC/POS belongs to devices/drivers.
"""
