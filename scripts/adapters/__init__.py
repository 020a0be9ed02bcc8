"""One adapter per upstream source: a pure function from upstream rows to our table rows.

A source.yml names its adapter with `adapter:` (a module here), or gives a `mapping:` for the
declarative adapter (mapped.py). Adapters never stop the build over a value: what they cannot read goes
to data_quality. Each row carries `_record`, the (source, upstream id) it came from.
"""

from scripts.adapters import esi_azerbaijan, mapped
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
    if meta.get("adapter") == "esi_azerbaijan":
        cases = esi_azerbaijan.read_cases(path.read_text(encoding="utf-8"))
        return lambda select=iter: esi_azerbaijan.adapt(select(cases), context)
    raise BuildError(display_path(folder / "source.yml"), None, "adapter", meta.get("adapter"),
                     "the source has no known adapter or mapping", "Name an adapter in scripts/adapters/, or add a mapping.")
