"""One adapter per upstream source: a pure function from upstream rows to our table rows.

A source.yml names its adapter with `adapter:` (a module here), or gives a `mapping:` for the
declarative CSV adapter. Adapters never stop the build over a value: what they cannot read goes
to data_quality. Each row carries `_record`, the (source, upstream id) it came from.
"""

from ..errors import BuildError
from ..rawfiles import display_path
from . import cecc, esi_azerbaijan, mapped_csv


def read_upstream(meta, path, folder, context):
    """(table, row) for every row one upstream source file gives, as it is read."""
    if meta.get("mapping"):
        mapped_csv.check_mapping(meta["mapping"], mapped_csv.read_header(path), display_path(folder / "source.yml"))
        return mapped_csv.adapt(mapped_csv.read_rows(path), meta)
    if meta.get("adapter") == "cecc":
        context = {**context, "status_codes": cecc.load_codes(folder), "source_id": meta["id"]}
        return cecc.adapt(cecc.read_rows(path), context)
    if meta.get("adapter") == "esi_azerbaijan":
        return esi_azerbaijan.adapt(path.read_text(encoding="utf-8"), context)
    raise BuildError(display_path(folder / "source.yml"), None, "adapter", meta.get("adapter"),
                     "the source has no known adapter or mapping", "Name an adapter in scripts/adapters/, or add a mapping.")
