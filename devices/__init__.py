"""Terminal peripherals as Qt-free roles (card readers, scanner, printers, camera).

Layout: role base classes (``card_reader``, ``scanner``, ``printer``, ``camera``) on top of
``base.Device``; the ``DeviceError`` tree in ``errors``; one worker thread per physical device
(``io_thread``); the ``Prompter`` interface; real drivers in ``devices.drivers`` (the only place
that imports pyscard, pyserial, python-escpos, OpenCV and, for the bill printer, PySide6);
demo-mode devices in ``devices.virtual``; ``registry`` builds devices from the terminal's TOML
config and ``python -m devices.doctor --config FILE`` checks them. See docs/DEVICES.md.

Dependency rule (DESIGN.md §2): this package imports only billing_core and third-party libraries.
"""
