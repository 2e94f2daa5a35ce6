"""The insurance room (issue 16 §3, §5): transaction journal, settlement state machine, the
settlement service with its in-doubt rules, resolution of in-doubt settlements, reconciliation."""
