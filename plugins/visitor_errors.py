"""A visitor's mistake is a 400 that says what was wrong, never a 500 (Datasette 0.65's answer to an unknown `_sort`
column, a `_timelimit` that is no number, a `_through` or `__in` that is not the JSON it should be, a `_next` no page
gave, SQL that SQLite refuses); anything else stays Datasette's, as the fault of ours it is. A page that does not exist
(404), and a page of ours whose query a busy moment cut at its time limit (503, where Datasette showed its SQL), are
answered the same way: Datasette's error page or JSON, in the reader's language. A database, table or row asked for in
a format no renderer gives (`persons.xml`: a 200 with the HTML page in Datasette 0.65) is a 404 naming the formats.
"""

import json
import re
import sqlite3

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import NotFound, Response

# Messages of DatasetteError that Datasette raises, with status 500, about a request's own parameters.
PARAMETER_ERRORS = ("Cannot sort table by", "Cannot use _sort and _sort_desc at the same time", "Invalid _through")
WRITTEN_SQL = ("sql", "_where", "_search", "_searchmode")


def mistake(request, exception):
    """What the visitor got wrong, if the exception comes from the request itself; None for a fault of ours."""
    args = request.args
    message = getattr(exception, "message", None)
    if getattr(exception, "status", None) == 500 and isinstance(message, str) and message.startswith(PARAMETER_ERRORS):
        return message
    if "_timelimit" in args and not args["_timelimit"].isdigit():
        return "_timelimit must be a whole number of milliseconds."
    if "_through" in args and not is_json(args["_through"], dict, ("table", "column", "value")):
        return '_through must be a JSON object with "table", "column" and "value".'
    for key, value in ((key, value) for key in args.keys() for value in args.getlist(key)):
        if key.endswith(("__in", "__notin")) and value.startswith("[") and not is_json(value, list):
            return f"{key} must be a JSON list, or values separated by commas."
    if "_next" in args:
        return "_next is not a position this page gave: follow the next link of a page to page through rows."
    if isinstance(exception, sqlite3.DatabaseError) and any(key in args for key in WRITTEN_SQL):
        return f"The query could not be run: {exception}."
    if getattr(exception, "title", None) == "SQL Interrupted" and any(key in args for key in WRITTEN_SQL):
        return "SQL query took too long; ask for less (fewer rows or columns, a narrower filter)."
    return None


def too_long(request, exception):
    """A query of a page cut at its time limit: Datasette's views wrap it as "SQL Interrupted", ours raise it as is."""
    cut = isinstance(exception, QueryInterrupted) or getattr(exception, "title", None) == "SQL Interrupted"
    if cut and not any(key in request.args for key in WRITTEN_SQL):
        return "This page took too long to make: try again in a moment."
    return None


def is_json(text, kind, keys=()):
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, kind) and all(key in value for key in keys)


def not_found(request, exception):
    """Datasette's message for a page that does not exist, or None for any other exception."""
    if getattr(exception, "status", None) != 404:
        return None
    return getattr(exception, "message", None) or (str(exception.args[0]) if exception.args else "Not Found")


async def unknown_format(datasette, request):
    formats = ", ".join(f".{name}" for name in ("json", "csv", *sorted(datasette.renderers)))
    raise NotFound(f"There is no .{request.url_vars['format']} format: pages are given as {formats}.")


@hookimpl
def register_routes(datasette):
    """A database, table or row in a format no renderer gives (/db.fmt, /db/table.fmt, /db/table/row.fmt)."""
    databases = "|".join(re.escape(db.route) for name, db in datasette.databases.items() if name != "_internal")
    known = "|".join(re.escape(name) for name in ("json", "csv", "db", *datasette.renderers))
    return [(rf"^/(?:{databases})(?:/[^/.]+(?:/[^/]+?)?)?\.(?!(?:{known})$)(?P<format>\w+)$", unknown_format)]


@hookimpl
def handle_exception(datasette, request, exception):
    for said, status in ((mistake, 400), (not_found, 404), (too_long, 503)):
        if message := said(request, exception):
            break
    else:
        return None

    async def error_page():
        info = {"ok": False, "error": message, "status": status, "title": None}
        if request.path.endswith(".json"):
            return Response.json(info, status=status)
        return Response.html(await datasette.render_template([f"{status}.html", "error.html"], info, request=request),
                             status=status)

    return error_page
