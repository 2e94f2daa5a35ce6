"""Backups and restores of the server's database (issue 19 §5).

``python -m sync_server admin backup`` writes one backup folder (SQLite: the online backup API,
consistent while the server runs; PostgreSQL: ``pg_dump -Fc``) with the data key and the
server's SM2 key beside the database, and keeps the newest N. ``admin restore`` puts one back
while no server runs and marks the database *restored*; the next server start retires every
emergency block the restored database held (its numbers may have been used after the backup)
and reconciles them with the finance platform, whose state wins (after_restore).
"""
