"""Server services: issuing, emergency stock, after-issue changes, outbox, reconciliation."""
