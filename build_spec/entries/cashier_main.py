"""Bundle entry: ``cashier`` is ``python -m cashier_app``."""

from cashier_app.__main__ import main

raise SystemExit(main())
