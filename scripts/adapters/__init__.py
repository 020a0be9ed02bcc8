"""Upstream lists, each read through the `mapping:` of its source.yml (mapped.py): a pure function from the list's
records to our table rows. A value never stops the build: what cannot be read goes to data_quality. Each row
carries `_record`, the (source, upstream id) it came from.
"""

from scripts.adapters import mapped
from scripts.common import BuildError
from scripts.read import display_path


def read_upstream(meta, path, folder, context):
    """The source file's adapter, checked: a function from a choice of records to (table, row) pairs.

    The function reads the file's records through `select` (all of them by default) and yields every row
    of our tables each selected record gives, record by record, as it reads.
    """
    if meta.get("mapping"):
        plan = context["plans"][meta["id"]]  # checked before any list was read (mapped.prepare)
        return lambda select=iter: mapped.adapt(plan, plan.records(select), context)
    raise BuildError(display_path(folder / "source.yml"), None, "adapter", meta.get("adapter"),
                     "the source has no mapping", "Read the list through a mapping: see docs/mapping.md.")
