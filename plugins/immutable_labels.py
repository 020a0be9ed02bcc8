"""Foreign-key labels of an immutable database looked up once and remembered.

A persons page shows each status, country and source by its label: Datasette looks the labels up for the
rows on the page and again for the facets, five small queries, each handed to a SQL thread and back. An
immutable database always gives the same labels for the same values, so each answer is kept (the latest
MAX_REMEMBERED); a mutable database is asked every time, as Datasette does.
Written against Datasette 0.65: check on upgrade.
"""

from collections import OrderedDict

from datasette import hookimpl
from datasette.app import Datasette

MAX_REMEMBERED = 2_000
# Datasette's own method, even when this file is loaded again for a second Datasette in the same process
datasettes_expand = getattr(Datasette.expand_foreign_keys, "__wrapped__", Datasette.expand_foreign_keys)


async def expand_foreign_keys(datasette, database, table, column, values):
    if datasette.databases[database].is_mutable:
        return await datasettes_expand(datasette, database, table, column, values)
    remembered = datasette.__dict__.setdefault("_remembered_labels", OrderedDict())
    key = (database, table, column, frozenset(values))
    if key not in remembered:
        labels = await datasettes_expand(datasette, database, table, column, values)
        if not labels:  # none found, or the query was cut at the time limit: ask again next time
            return labels
        remembered[key] = labels
        while len(remembered) > MAX_REMEMBERED:
            remembered.popitem(last=False)
    remembered.move_to_end(key)
    return dict(remembered[key])  # a copy: callers may add to what they are given


expand_foreign_keys.__wrapped__ = datasettes_expand


@hookimpl
def startup():
    Datasette.expand_foreign_keys = expand_foreign_keys
