"""The terminal-management web (issue 19 §1): server-rendered Chinese pages under ``/admin``,
for users of the admin role. ``auth`` holds the login, the session cookie and the CSRF token;
``views`` the pages; ``forms`` turns posted forms into the values sync_server.fleet checks."""
