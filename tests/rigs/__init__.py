"""Reusable device test rigs: real OS stacks with a simulated device on the other end.

* :mod:`tests.rigs.escpos_printer` — TCP ESC/POS printer on 127.0.0.1 (+ :mod:`escpos_decoder`)
* :mod:`tests.rigs.virtual_ssse_card` — a social security card behind pcscd + vsmartcard-vpcd
* :mod:`tests.rigs.pcscd` — starts pcscd with a private vpcd reader config
* :mod:`tests.rigs.id_reader_sim` — SAM ID card reader simulator on a socat pty pair
* :mod:`tests.rigs.ptys` — socat pty pairs
* :mod:`tests.rigs.cups` — cupsd with a cups-pdf queue
* :mod:`tests.rigs.fixtures` — pytest fixtures over all of the above (import them in a conftest)
* :mod:`tests.rigs.stack` — the one server stack: finance simulator process, sync server in this
  process or as a process, HIS client, SQLite / PostgreSQL isolation, and its fixtures
"""
