"""Who may call: callers and their keys and grants, users and roles, the audit log, and the
server's own SM2 signing key for bills it issues from emergency stock."""
