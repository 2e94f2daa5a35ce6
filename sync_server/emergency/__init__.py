"""Terminals' emergency mode on the server: uploads of emergency bills (hash chain, signature,
batch decisions), carry-forward to the platform (pool and conflicts), emergency stock handed to
terminals (返还, revocation), alarms and the carry-forward report."""
