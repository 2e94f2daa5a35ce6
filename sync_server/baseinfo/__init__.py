"""Finance base information and configuration kept by the server (issue 18 §4; docs/REPORTS.md)."""
