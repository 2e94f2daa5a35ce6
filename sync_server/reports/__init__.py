"""Hospital-wide reports from the server's records (issue 18 §3; docs/REPORTS.md)."""
