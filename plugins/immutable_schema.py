"""The schema of an immutable database read once: Datasette reads it on every page (a persons page asked 24 times,
each a round trip to a SQL thread). Only answers about the database's own tables and views are kept, so what is kept
is bounded by the schema whatever addresses visitors make up; a mutable database is read every time.

It rebinds methods of Datasette's Database and Datasette: on any version but WRITTEN_FOR it steps aside at startup.
"""

import functools
import sys

import datasette
from datasette import hookimpl

WRITTEN_FOR = "0.65.5"
APPLIES = datasette.__version__ == WRITTEN_FOR
if APPLIES:  # Datasette's internals, as they are in that version
    from datasette.app import Datasette
    from datasette.database import Database

# Readers whose answer depends on nothing but the schema; those taking a table name come first in each pair.
SCHEMA_READERS = ("table_names", "view_names", "get_all_foreign_keys", "hidden_table_names")
TABLE_READERS = ("table_exists", "table_columns", "table_column_details", "primary_keys", "foreign_keys_for_table",
                 "fts_table", "label_column_for_table", "get_table_definition", "get_view_definition")


def read_once(reader, names_a_table):
    @functools.wraps(reader)
    async def remembered(db, *args):
        if db.is_mutable:
            return await reader(db, *args)
        answers = db.__dict__.setdefault("_schema_answers", {})
        if names_a_table and args[0] not in await known_names(db):
            return await reader(db, *args)  # not one of its tables or views: never remembered
        key = (reader.__name__, *args)
        if key not in answers:
            answers[key] = await reader(db, *args)
        return answers[key]

    remembered.reads_once = True
    return remembered


async def known_names(db):
    """The names of the database's tables and views, read once."""
    if "_schema_names" not in db.__dict__:
        db._schema_names = frozenset([*await db.table_names(), *await db.view_names()])
    return db._schema_names


def refresh_once(refresh):
    """Once is enough when every database is immutable."""
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
    if not APPLIES:
        print(f"conscience: plugins/immutable_schema.py was written for Datasette {WRITTEN_FOR}, not "
              f"{datasette.__version__}: it steps aside and Datasette reads the schema on every page", file=sys.stderr)
        return
    for names in (SCHEMA_READERS, TABLE_READERS):
        for name in names:
            reader = getattr(Database, name)
            if not getattr(reader, "reads_once", False):
                setattr(Database, name, read_once(reader, names is TABLE_READERS))
    if not getattr(Datasette.refresh_schemas, "reads_once", False):
        Datasette.refresh_schemas = refresh_once(Datasette.refresh_schemas)
