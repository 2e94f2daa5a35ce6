"""Bundle entry: ``sync-server [COMMAND] ...`` is ``python -m sync_server [COMMAND] ...``."""

from sync_server.cli import main

raise SystemExit(main())
