"""The schema of an immutable database read once: its tables, columns, keys and definitions never change.

Datasette reads a table's columns, primary keys, foreign keys and definition from sqlite_master on every page,
about fifteen small queries for a persons page, each handed to a SQL thread and back: 5-8 ms of a ~35 ms page
at 1M persons. For immutable databases (ours is served with -i) each answer is kept after its first reading;
a mutable database is read every time, as Datasette does. Metadata, which label columns and hidden tables
also depend on, is loaded once at startup. Likewise Datasette's record of each database's schema (in its
_internal database), which it checks against every database's schema version before each page, is
refreshed once when every database is immutable. Written against Datasette 0.65: check on upgrade.
"""

import functools

from datasette import hookimpl
from datasette.app import Datasette
from datasette.database import Database

SCHEMA_READERS = ("table_exists", "table_names", "view_names", "table_columns", "table_column_details",
                  "primary_keys", "foreign_keys_for_table", "get_all_foreign_keys", "fts_table",
                  "label_column_for_table", "hidden_table_names", "get_table_definition", "get_view_definition")


def read_once(reader):
    @functools.wraps(reader)
    async def remembered(db, *args):
        if db.is_mutable:
            return await reader(db, *args)
        answers = db.__dict__.setdefault("_schema_answers", {})
        key = (reader.__name__, *args)
        if key not in answers:
            answers[key] = await reader(db, *args)
        return answers[key]

    remembered.reads_once = True
    return remembered


def refresh_once(refresh):
    """Datasette refreshes its record of every database's schema before each page: once is enough when all are immutable."""
    @functools.wraps(refresh)
    async def refreshing(datasette):
        databases = {name: db for name, db in datasette.databases.items() if name != "_internal"}
        if datasette.__dict__.get("_schemas_refreshed_for") == databases:
            return
        await refresh(datasette)
        if not any(db.is_mutable for db in databases.values()):
            datasette._schemas_refreshed_for = databases

    refreshing.reads_once = True
    return refreshing


@hookimpl
def startup():
    for name in SCHEMA_READERS:
        reader = getattr(Database, name)
        if not getattr(reader, "reads_once", False):
            setattr(Database, name, read_once(reader))
    if not getattr(Datasette.refresh_schemas, "reads_once", False):
        Datasette.refresh_schemas = refresh_once(Datasette.refresh_schemas)
