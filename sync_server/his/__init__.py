"""The platform interface served to HIS and terminals: issuing (idempotent on busNo), batch
issuing, state changes on issued bills (write-off, paper ...) and the queries answered locally."""
