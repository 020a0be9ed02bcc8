"""The allow blocks guarding a table found once per metadata, not on every permission check.

To check a view-table permission, Datasette 0.65.5 finds the table's allow blocks by deep-copying the whole
metadata (every table's description, columns and canned queries): twice a table page, about 2 ms of a
persons page. The blocks depend on nothing but the metadata, which is loaded once at startup; so they are
remembered for as long as Datasette holds the same metadata object, and found afresh, as Datasette does,
whenever a plugin supplies metadata through get_metadata (which may change from call to call).
Written against Datasette 0.65.5: check on upgrade.
"""

from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm

# Datasette's own method, even when this file is loaded again for a second Datasette in the same process
datasettes_allows = getattr(Datasette._table_permission_allows, "__wrapped__", Datasette._table_permission_allows)


def table_permission_allows(datasette, database, table):
    if pm.hook.get_metadata.get_hookimpls():
        return datasettes_allows(datasette, database, table)
    metadata, found = datasette.__dict__.get("_table_allows_found", (None, None))
    if metadata is not datasette._metadata_local:
        metadata, found = datasette._metadata_local, {}
        datasette._table_allows_found = metadata, found
    if (database, table) not in found:
        found[(database, table)] = datasettes_allows(datasette, database, table)
    return found[(database, table)]


table_permission_allows.__wrapped__ = datasettes_allows


@hookimpl
def startup():
    Datasette._table_permission_allows = table_permission_allows
