"""Build conscience.db from raw/ (see ARCHITECTURE.md)."""
