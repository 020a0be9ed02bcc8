"""Upstream lists, each read through the `mapping:` of its source.yml by mapped.py (reference: docs/mapping.md)."""

from scripts.adapters import mapped
from scripts.common import BuildError
from scripts.read import display_path


def read_upstream(meta, path, folder, context):
    """The list's checked adapter: a function from a choice of its records (`select`, all by default) to the
    (table, row) pairs they give, record by record, as it reads."""
    if meta.get("mapping"):
        plan = context["plans"][meta["id"]]  # checked before any list was read (mapped.prepare)
        return lambda select=iter: mapped.adapt(plan, plan.records(select), context)
    raise BuildError(display_path(folder / "source.yml"), None, "adapter", meta.get("adapter"),
                     "the source has no mapping", "Read the list through a mapping: see docs/mapping.md.")
