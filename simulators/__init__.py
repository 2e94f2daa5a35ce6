"""Faithful stand-ins for the outside systems no test machine can reach (DESIGN.md §1)."""
