"""What an immutable database lets the server read once. Its schema: Datasette reads it on every page (a persons page
asked 24 times, each a round trip to a SQL thread); only answers about its own tables and views are kept, so what is
kept is bounded whatever addresses visitors make up. Its facets' counts: `counted` is Datasette's column facet
remembered; `tags` counts a JSON array column with one GROUP BY over json_each (the build stores arrays without
repeats; Datasette's array facet took 100-200 ms a facet at 11k persons); `labels: table` labels values by that table.
One file: both parts stand in for reads Datasette repeats on the same immutable database.
"""

import asyncio
import functools
import sqlite3
import sys
import time
from collections import OrderedDict
from contextlib import closing
from pathlib import Path
from urllib.request import pathname2url

import datasette
import yaml
from datasette import hookimpl
from datasette.database import QueryInterrupted, Results
from datasette.facets import ColumnFacet, Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Request

WRITTEN_FOR = "0.65.5"
APPLIES = datasette.__version__ == WRITTEN_FOR
if APPLIES:  # Datasette's internals, as they are in that version
    from datasette.app import Datasette
    from datasette.database import Database

MAX_REMEMBERED = 500
VOCABULARIES = yaml.safe_load((Path(__file__).parent.parent / "templates" / "vocabularies.yml").read_text("utf-8"))
# Counting at startup may take longer than a visitor's query may: a person_charges facet takes 1-2 s at 1M persons.
STARTUP_TIME_LIMIT_MS = 60_000


class RememberingDatasette:
    """Datasette, its SQL's results remembered; with a time limit, run with it (a query's own can only shorten it)."""

    def __init__(self, datasette, time_limit_ms=None):
        self.datasette, self.time_limit_ms, self.origin = datasette, time_limit_ms, None
        self.remembered = datasette.__dict__.setdefault("_remembered_facet_results", OrderedDict())

    def __getattr__(self, name):
        return getattr(self.datasette, name)

    def absolute_url(self, request, path):
        """Datasette's, its origin worked out once: a facet asks for one per value, each a urljoin (18% of a page)."""
        if not path.startswith("/") or path.startswith("//"):
            return self.datasette.absolute_url(request, path)
        self.origin = self.origin or self.datasette.absolute_url(request, "/")[:-1]
        return self.origin + path

    async def execute(self, database, sql, params=None, **kwargs):
        if self.datasette.databases[database].is_mutable:
            return await self.datasette.execute(database, sql, params, **kwargs)
        key = (database, sql, repr(sorted(dict(params or {}).items())))
        if key not in self.remembered:
            self.remembered[key] = await (self.execute_within_own_limit(database, sql, params) if self.time_limit_ms
                                          else self.datasette.execute(database, sql, params, **kwargs))
            while len(self.remembered) > MAX_REMEMBERED:
                self.remembered.popitem(last=False)
        self.remembered.move_to_end(key)
        return self.remembered[key]

    async def execute_within_own_limit(self, database, sql, params):
        """On a connection of its own: plugins/sql_limits.py's watchdog holds Datasette's to visitors' limit."""
        path = self.datasette.databases[database].path

        def run():
            with closing(sqlite3.connect(f"file:{pathname2url(path)}?mode=ro&immutable=1", uri=True)) as conn:
                conn.row_factory = sqlite3.Row
                deadline = time.monotonic() + self.time_limit_ms / 1000
                conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)  # as Datasette limits its queries
                try:
                    cursor = conn.execute(sql, params or {})
                    return Results(cursor.fetchall(), False, cursor.description)
                except sqlite3.OperationalError as error:
                    if error.args == ("interrupted",):
                        raise QueryInterrupted(error, sql, params) from error
                    raise

        return await asyncio.get_running_loop().run_in_executor(None, run)


def unfiltered_sql(table):
    return f"select * from {escape_sqlite(table)}"


# Arguments of a table page that choose its order, page, shape or facets, never which rows it is about.
NOT_FILTERS = {"_sort", "_sort_desc", "_next", "_size", "_nocount", "_nofacet", "_nosuggest", "_facet", "_facet_array",
               "_facet_date", "_facet_counted", "_facet_tags", "_facet_size", "_col", "_nocol", "_labels", "_label",
               "_shape", "_json", "_json_infinity", "_nl", "_trace", "_timelimit", "_stream", "_dl", "_header", "_lang"}


class RememberedFacet(Facet):
    """SQL run by RememberingDatasette; an unfiltered page counts the whole table (a sorted page's SQL has a keyset)."""

    def __init__(self, datasette, *args, time_limit_ms=None, **kwargs):
        super().__init__(datasette, *args, **kwargs)
        self.ds = RememberingDatasette(datasette, time_limit_ms)
        unfiltered = self.request is not None and all(key in NOT_FILTERS for key in self.request.args)
        if self.table and (unfiltered or not self.params and self.sql.rstrip().endswith(
                f" from {escape_sqlite(self.table)}")):
            self.sql, self.params = unfiltered_sql(self.table), {}

    async def suggest(self):
        return []  # suggestions come from Datasette's own facet types

    async def labels(self, config, values):
        """{value: label} from the table `labels` names in a facet's configuration; {} without one."""
        table = config.get("labels") if isinstance(config, dict) else None
        if not table or not values:
            return {}
        db = self.ds.databases[self.database]
        if not await db.table_exists(table):
            return {str(value): words.get("en", value) for value, words in VOCABULARIES.get(table, {}).items()}
        label_column, (key,) = await db.label_column_for_table(table), await db.primary_keys(table)
        sql = (f"select {escape_sqlite(key)} as value, {escape_sqlite(label_column)} as label "
               f"from {escape_sqlite(table)} order by 1")
        return {str(row["value"]): row["label"] for row in (await self.ds.execute(self.database, sql)).rows}


class CountedFacet(RememberedFacet, ColumnFacet):
    type = "counted"

    async def facet_results(self):
        results, timed_out = await super().facet_results()
        configs = {config["config"].get("column") or config["config"]["simple"]: config["config"]
                   for config in self.get_configs()}
        for result in results:
            result["type"] = "column"
            labels = await self.labels(configs.get(result["name"]), result["results"])
            for value in result["results"]:
                value["label"] = labels.get(str(value["value"]), value["label"])
        return results, timed_out


class TagsFacet(RememberedFacet):
    type = "tags"

    async def facet_results(self):
        results, timed_out = [], []
        size = self.get_facet_size()
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            sql = (f"select j.value as value, count(*) as count from ({self.sql}) as inner_rows, "
                   f"json_each(inner_rows.{escape_sqlite(column)}) as j "
                   f"group by j.value order by count desc, value limit {size + 1}")
            try:
                rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                              custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
            except QueryInterrupted:
                timed_out.append(column)
                continue
            labels = await self.labels(config["config"], rows)
            results.append({
                "name": column, "type": "array", "hideable": config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_tags": column})),
                "truncated": len(rows) > size,
                "results": [self.value(column, str(row["value"]), row["count"], labels) for row in rows[:size]],
            })
        return results, timed_out

    def value(self, column, value, count, labels):
        argument = {f"{column}__arraycontains": value}
        selected = (f"{column}__arraycontains", value) in self.get_querystring_pairs()
        path = (path_with_removed_args if selected else path_with_added_args)(self.request, argument)
        return {"value": value, "label": labels.get(value, value), "count": count, "selected": selected,
                "toggle_url": self.ds.absolute_url(self.request, path)}


@hookimpl
def register_facet_classes():
    return [CountedFacet, TagsFacet]


async def facet_configuration(datasette, database, table):
    """What Datasette gives a facet class for a table's facets: metadata up to 0.65, table_config from 1.0 on."""
    if hasattr(datasette, "table_config"):
        return {"table_config": await datasette.table_config(database, table)}
    return {"metadata": datasette.table_metadata(database, table)}


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
        if names_a_table and "_schema_names" not in db.__dict__:
            db._schema_names = frozenset([*await db.table_names(), *await db.view_names()])
        if names_a_table and args[0] not in db._schema_names:
            return await reader(db, *args)  # not one of its tables or views: never remembered
        key = (reader.__name__, *args)
        if key not in answers:
            answers[key] = await reader(db, *args)
        return answers[key]

    remembered.reads_once = True
    return remembered


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


def read_schema_once():
    if not APPLIES:
        print(f"conscience: plugins/immutable.py was written for Datasette {WRITTEN_FOR}, not "
              f"{datasette.__version__}: it steps aside and Datasette reads the schema on every page", file=sys.stderr)
        return
    for names in (SCHEMA_READERS, TABLE_READERS):
        for name in names:
            reader = getattr(Database, name)
            if not getattr(reader, "reads_once", False):
                setattr(Database, name, read_once(reader, names is TABLE_READERS))
    if not getattr(Datasette.refresh_schemas, "reads_once", False):
        Datasette.refresh_schemas = refresh_once(Datasette.refresh_schemas)


@hookimpl
def startup(datasette):
    read_schema_once()

    async def count_default_facets():
        for name, database in ((name, db) for name, db in datasette.databases.items() if not db.is_mutable):
            for table in [*await database.table_names(), *await database.view_names()]:
                configuration = await facet_configuration(datasette, name, table)
                if not next(iter(configuration.values())).get("facets"):
                    continue
                request = Request.fake(datasette.urls.table(name, table))
                for facet_class in (CountedFacet, TagsFacet):
                    await facet_class(datasette, request, name, sql=unfiltered_sql(table), table=table,
                                      time_limit_ms=STARTUP_TIME_LIMIT_MS, **configuration).facet_results()

    return count_default_facets
