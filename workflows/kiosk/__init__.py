"""The patient self-service kiosk's workflows (issue 15 §3-§5), Qt-free.

Import from the modules (this package imports nothing itself, so ``workflows.terminal.config`` can
read the ``[his]``/``[kiosk]`` tables through :mod:`workflows.kiosk_config` without a cycle):

* :func:`workflows.kiosk.builder.build_kiosk` (config, devices, events) -> :class:`workflows.kiosk.kiosk.Kiosk`
* ``Kiosk.session`` :class:`workflows.kiosk.session.KioskSession` — identify, flows, idle, reset
* ``Kiosk.checkout`` :class:`workflows.kiosk.checkout.Checkout` — the money path
* view models :mod:`workflows.kiosk.models`, events :mod:`workflows.kiosk.events`, functions and
  device gating :mod:`workflows.kiosk.functions`, errors :mod:`workflows.kiosk.errors` (E39xx)

docs/KIOSK.md describes the flows, the money path and the config.
"""
