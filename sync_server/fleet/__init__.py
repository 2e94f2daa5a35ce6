"""Terminal management (issue 19 §1): the terminals' status for people, what is pushed to them
per scene (functions, parameters, upgrade), the audit log, the carry-forward queue and the dead
outbox items with their retry / resolve actions. Served by the admin_web blueprint; the
heartbeat answer carries the pushed configuration (api/terminal_api.py)."""
