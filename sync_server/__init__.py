"""The in-hospital sync server (issue 4): HIS-facing platform interface, store, connectors."""
