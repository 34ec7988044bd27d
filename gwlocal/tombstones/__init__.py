"""``graphworker purge-tombstones``: purge graphworker's tombstones by hand (local or a real cluster)."""
