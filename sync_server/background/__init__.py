"""Work the server does besides answering requests: the outbox worker (delivery of queued
items by kind, stale-claim resolution, emergency stock top-up, daily reconciliation)."""
