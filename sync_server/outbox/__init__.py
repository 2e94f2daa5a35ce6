"""The outbox: work for the platform written in the business transaction, leased and finished
by whoever delivers it (the background worker, the carry pool)."""
