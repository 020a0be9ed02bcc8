"""Searching persons, best first, any query safe: /search?q= (the canned query `search`), and a searched persons table's
best matches above it. Datasette's escape_fts() turns a lone `"` into an empty FTS5 query, which fails as "Invalid
SQL": for the version checked, the one registered here answers it with a phrase that matches nothing.
"""

import logging
import re
import unicodedata
from collections import Counter

from anyascii import anyascii
from datasette import __version__, hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import Response

ESCAPE_FTS_CHECKED = "0.65.5"
MATCHES_NOTHING = '""'
WORD = re.compile(r"[\w\u0300-\u036f]+")  # letters, digits and combining marks: FTS5's unicode61 tokens
BEST_MATCHES_SHOWN = 5
log = logging.getLogger(__name__)


def search_terms(query):
    """An FTS5 query finding every word of `query` (each quoted, so nothing in it is FTS5 syntax)."""
    words = WORD.findall(unicodedata.normalize("NFKC", query or ""))
    return " ".join(f'"{word}"' for word in words) or MATCHES_NOTHING


def name_key(name):
    """A name compared across scripts, diacritics, tones, case and spacing: 'Liú Xiǎobō', '刘晓波' -> 'liuxiaobo'."""
    return re.sub(r"[^0-9a-z]", "", anyascii(unicodedata.normalize("NFKC", name)).lower()) or None if name else None


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, so that this escape_fts is the one used
def prepare_connection(conn):
    conn.create_function("search_terms", 1, search_terms, deterministic=True)
    conn.create_function("name_key", 1, name_key, deterministic=True)
    if __version__ == ESCAPE_FTS_CHECKED:
        conn.create_function("escape_fts", 1, lambda query: escape_fts(query) or MATCHES_NOTHING, deterministic=True)


async def best_matches(ds, query):
    """(rows best first, cut at max_returned_rows; whether cut) of the canned query `search` (1.0a41: stored query)."""
    db = ds.get_database()
    sql = ((await ds.get_query(db.name, "search")).sql if hasattr(ds, "get_query")
           else (await ds.get_canned_query(db.name, "search", None))["sql"])
    results = await db.execute(sql, {"q": query}, truncate=True)
    return [dict(row) for row in results.rows], results.truncated


async def search_page(datasette, request):
    query = (request.args.get("q") or "").strip()
    rows, truncated = await best_matches(datasette, query) if query else ([], False)
    found = (await datasette.get_database().execute(
        "select count(*) from persons_fts where persons_fts match search_terms(:q)", {"q": query})).single_value()
    context = {"query": query, "rows": rows, "found": found, "truncated": truncated,
               "by_match": Counter(row["matched_in"] for row in rows)}
    return Response.html(await datasette.render_template("search.html", context, request=request))


@hookimpl
def register_routes():
    return [(r"^/search$", search_page)]


@hookimpl
def extra_template_vars(template, database, table, request, datasette):
    """A searched persons table page shows the best matches above the table, which keeps its own order."""
    query = (request.args.get("_search") or "").strip() if request else ""
    if template != "table.html" or database != datasette.get_database().name or table != "persons" or not query:
        return {}

    async def inner():
        rows, _ = await best_matches(datasette, query)
        return {"best_matches": rows[:BEST_MATCHES_SHOWN], "best_matches_query": query}

    return inner


@hookimpl
def startup():
    if __version__ != ESCAPE_FTS_CHECKED:
        log.warning("plugins/pages_search.py: written for Datasette %s, running %s: Datasette's own escape_fts is used "
                    "(check that a search for a lone \" still answers)", ESCAPE_FTS_CHECKED, __version__)
