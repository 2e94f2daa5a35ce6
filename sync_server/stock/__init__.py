"""Bill stock held by the server: its own emergency blocks reserved on the platform, from which
it issues while the platform cannot be reached."""
