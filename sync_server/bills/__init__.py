"""Shared bill records of the server: rows of issued bills and their answers, the wire
method groups, request validation, the charge-item catalogue and the QR of locally issued bills.
Every capability room reads and writes bills through here."""
