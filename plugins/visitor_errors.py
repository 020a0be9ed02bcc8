"""A visitor's mistake is a 400 that says what was wrong, never a 500.

Datasette 0.65 answers several malformed requests with a 500 (a server fault): an unknown `_sort` column, both
`_sort` and `_sort_desc`, a `_timelimit` that is not a number, a `_through` or `__in` value that is not the JSON
it should be, a `_next` no page gave, and SQL a visitor wrote that SQLite refuses (a value too big, a result too
large). Datasette's documented handle_exception hook sees each exception first: when it comes from the
request's own parameters it is answered 400 with Datasette's error page or JSON; anything else is left to
Datasette, as the fault of ours it is. A page that does not exist (404) is answered the same way, and so is a
page of ours whose query a busy moment cut at its time limit (503; Datasette showed its SQL in a broken text box):
all are rendered through datasette.render_template with the request, in the reader's language (plugins/i18n.py).

A database, table or row asked for in a format no renderer gives (`persons.xml`) is a 404 naming the formats there
are: Datasette 0.65 answered it with the HTML page and a 200.
"""

import json
import re
import sqlite3

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Request, Response

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
    """A query of one of our pages cut at its time limit (a busy moment): said plainly, without its SQL. Datasette's
    views wrap the interruption as "SQL Interrupted"; our own pages' queries raise QueryInterrupted itself."""
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


def not_found(exception):
    """Datasette's message for a page that does not exist, or None for any other exception."""
    if getattr(exception, "status", None) != 404:
        return None
    return getattr(exception, "message", None) or (str(exception.args[0]) if exception.args else "Not Found")


# Datasette's routes for a database, a table or a row in a format: /db.fmt, /db/table.fmt, /db/table/row.fmt.
FORMATTED = re.compile(r"^/([^/.]+)(?:/[^/.]+(?:/[^/]+?)?)?\.(\w+)$")


def unknown_format(datasette, path):
    """The format a path to a database, table or row asks for that no renderer gives, or None."""
    match = FORMATTED.match(path)
    if not match or match.group(1) not in datasette.databases:
        return None
    return None if match.group(2) in ("json", "csv", "db", *datasette.renderers) else match.group(2)


@hookimpl(tryfirst=True)  # inside plugins/responses.py, so that the 404 carries its headers
def asgi_wrapper(datasette):
    def wrap(app):
        async def known_formats(scope, receive, send):
            fmt = unknown_format(datasette, scope.get("path", "")) if scope["type"] == "http" else None
            if fmt is None:
                return await app(scope, receive, send)
            formats = ", ".join(f".{name}" for name in ("json", "csv", *sorted(datasette.renderers)))
            message = f"There is no .{fmt} format: pages are given as {formats}."
            await datasette.invoke_startup()  # templates are ready only then (done once; the first request may be this)
            request = Request({**scope, "csrftoken": lambda: ""}, receive)  # outside CSRF: a GET page needs none
            html = await datasette.render_template(["404.html", "error.html"], {
                "ok": False, "error": message, "status": 404, "title": None}, request=request)
            await Response.html(html, status=404).asgi_send(send)

        return known_formats

    return wrap


@hookimpl
def handle_exception(datasette, request, exception):
    message, status = mistake(request, exception), 400
    if message is None:
        message, status = not_found(exception), 404
    if message is None:
        message, status = too_long(request, exception), 503
    if message is None:
        return None

    async def error_page():
        info = {"ok": False, "error": message, "status": status, "title": None}
        if request.path.endswith(".json"):
            return Response.json(info, status=status)
        return Response.html(await datasette.render_template([f"{status}.html", "error.html"], info, request=request),
                             status=status)

    return error_page
