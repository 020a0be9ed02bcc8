"""Build conscience.db from raw/ (see README)."""
