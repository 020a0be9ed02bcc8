"""Every sorted order of a table pages through every row exactly once: its pages, JSON `next` and streamed CSV.

Datasette 0.65.5 orders the first page of a sorted table by the sort column alone, and every later page by it and
then the primary key (datasette/views/table.py adds the key to ORDER BY only `if _next:`): rows that tie were sent
twice or never (persons by birth_year descending: 1,296 rows sent, 1,000 distinct, of 10,892). No hook reaches the
ORDER BY, so for that version only a sorted table's first page is asked for as the page after a key that sorts before
every row; any other version is left alone, with one line in the log.

For the same reason, a searched persons table's JSON that asks for no sort, and whose matches fit on one page, comes
best first, in the order of the canned query `search` (plugins/pages_search.py), as the page's best matches show.
"""

import logging

import datasette
from datasette import hookimpl

WRITTEN_FOR = "0.65.5"  # the version whose table view this was checked against
APPLIES = datasette.__version__ == WRITTEN_FOR
if APPLIES:  # Datasette's internals, as they are in that version (Datasette 1.0 has no TableView.data)
    from datasette.utils import tilde_decode, tilde_encode
    from datasette.views.table import TableView

    # Datasette's own method, even when this file is loaded again for a second Datasette in the same process
    datasettes_data = getattr(TableView.data, "__wrapped__", TableView.data)
NUMERIC = ("INT", "REAL", "FLOA", "DOUB", "NUM", "DEC")
BEFORE_ANY_NUMBER = "-9e999"  # SQLite reads it as -infinity against a numeric column
BEFORE_ANY_TEXT = ""  # primary keys are never empty
AFTER_ANY_VALUE = "\U0010ffff"  # sorts after every number and every text (as UTF-8 bytes)
RANKED_TABLE = "persons"  # the table the canned query `search` ranks
log = logging.getLogger(__name__)


async def data(self, request, default_labels=False, _next=None, _size=None):
    if _next is None and not request.args.get("_next"):
        _next = await start_key(self.ds, request)
    answer = await datasettes_data(self, request, default_labels, _next, _size)
    if ranked_json(request) and isinstance(answer, tuple) and not answer[0].get("next"):
        await best_first(self.ds, answer[0], request.args["_search"])
    return answer


def ranked_json(request):
    """A searched persons table's JSON asking for no sort and no later page."""
    args = request.args
    return (request.url_vars.get("format") == "json" and request.url_vars.get("table") == RANKED_TABLE
            and args.get("_search") and not any(key in args for key in ("_sort", "_sort_desc", "_next")))


async def best_first(ds, data, query):
    """The page's rows in the order the canned query `search` ranks them (any it does not rank last, as they were)."""
    database = ds.get_database(data["database"])
    sql = (await ds.get_canned_query(database.name, "search", None))["sql"]
    ranked = {row["id"]: rank for rank, row in enumerate((await database.execute(sql, {"q": query})).rows)}
    data["rows"] = sorted(data["rows"], key=lambda row: ranked.get(row["id"], len(ranked)))


async def start_key(ds, request):
    """The keyset token of the start of a sorted table's order, or None where no token is needed."""
    database, table = (tilde_decode(request.url_vars[key]) for key in ("database", "table"))
    try:
        db = ds.get_database(route=database)
    except KeyError:
        return None
    metadata = ds.table_metadata(db.name, table)
    sort, sort_desc = request.args.get("_sort"), request.args.get("_sort_desc")
    if not sort and not sort_desc:
        sort, sort_desc = metadata.get("sort"), metadata.get("sort_desc")
    if not (sort or sort_desc) or (sort and sort_desc) or "_sort_by_desc" in request.args:
        return None  # unsorted (ordered by key), or a request Datasette answers with an error or a redirect
    if await ds.get_canned_query(db.name, table, request.actor) or not await db.table_exists(table):
        return None  # a query, or a view (views page by offset)
    pks = await db.primary_keys(table) or ["rowid"]
    if pks == [sort or sort_desc]:
        return None  # sorted by its key: no ties
    types = {column.name: column.type.upper() for column in await db.table_column_details(table)}
    before = [BEFORE_ANY_NUMBER if pk == "rowid" or types.get(pk, "").startswith(NUMERIC) else BEFORE_ANY_TEXT
              for pk in pks]
    # Ascending, NULLs come first: "$null" and keys before every key take them all, then every value.
    # Descending, NULLs come last: a value after every value takes every row.
    first = "$null" if sort else tilde_encode(AFTER_ANY_VALUE)
    return ",".join([first, *before])


@hookimpl
def startup():
    if not APPLIES:
        log.warning("plugins/table_paging.py: written for Datasette %s, running %s: left off (check whether sorted "
                    "tables still page through every row once)", WRITTEN_FOR, datasette.__version__)
        return
    data.__wrapped__ = datasettes_data
    TableView.data = data
