"""Upstream lists, each read through the `mapping:` of its source.yml by mapped.py (reference: docs/mapping.md)."""
