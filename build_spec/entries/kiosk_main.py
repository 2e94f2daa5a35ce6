"""Bundle entry: ``kiosk`` is ``python -m kiosk_app``."""

from kiosk_app.__main__ import main

raise SystemExit(main())
