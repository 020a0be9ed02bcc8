"""What a visitor is refused, and how it is said: one gate for the SQL a visitor writes (`?sql=`, `_where=`, raw
full-text syntax) and for searches, and every refusal, the gate's and Datasette's errors alike, said by refusal()
(docs/building.md, "The server", gives the rules and their figures; docs/performance.md what they hold against).
"""

import asyncio
import itertools
import json
import re
import sqlite3
import time
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import NotFound, Request, Response

AT_ONCE = 1  # this machine has two cores: the other is the readers'
WAITING = 8
WAIT_SECONDS = 2
BURST_SECONDS = 3.0
REFILL_PER_SECOND = 0.1  # a client kept busy runs one second of SQL every ten
MAX_FACETS = 10  # a table page's own facets (six for persons) and a few more
# Our widest page asks for about 40; Datasette's table view takes time quadratic in them (6,000: the server held 30 s).
MAX_PARAMETERS = 256
MAX_QUERY_BYTES = 128 * 1024  # room for the longest SQL SQLite takes (100,000 bytes), percent-encoded
MAX_CLIENTS = 10_000  # clients remembered, least recent forgotten first
HALF_LIFE_SECONDS = 30
# Refusals to a client that asked this much lately wait: a flood of them costs as much as pages, and it waits too.
SLOWED_AFTER = 20
SLOWED_SECONDS = 2
FACET_PARAMETERS = ("_facet", "_facet_array", "_facet_date", "_facet_tags", "_facet_counted")
BUSY = {"sql": "Other visitors' SQL queries are running: try again in a few seconds. Pages, canned queries and "
               "feeds are not affected.",
        "search": "Many searches are running: try again in a few seconds."}
# Messages of DatasetteError that Datasette raises, with status 500, about a request's own parameters.
PARAMETER_ERRORS = ("Cannot sort table by", "Cannot use _sort and _sort_desc at the same time", "Invalid _through")
WRITTEN_SQL = ("sql", "_where", "_search", "_searchmode")


def arbitrary(pairs):
    """Whether a request's query string makes the database run SQL the visitor wrote."""
    keys = {key for key, _ in pairs}
    raw_search = ("_searchmode", "raw") in pairs and any(key.startswith("_search") for key in keys - {"_searchmode"})
    return "sql" in keys or "_where" in keys or raw_search


def parameters(query_string):
    """The query string's parameters as Datasette decodes them, or why the request is refused (status, message)."""
    if len(query_string) > MAX_QUERY_BYTES:
        return 414, f"The address is too long: a query string may be at most {MAX_QUERY_BYTES // 1024} KB."
    try:
        return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_PARAMETERS)
    except ValueError:
        return 400, f"A page may be asked with at most {MAX_PARAMETERS} parameters."


class Client:
    """A client's SQL budget (seconds it may still spend, refilled as time passes) and how much it has asked lately."""

    def __init__(self):
        self.seconds, self.at, self.under_way, self.asked = BURST_SECONDS, time.monotonic(), 0, 0.0

    def count(self, asked, spent=0.0):
        """Refilled and faded to now; then `asked` more, and `spent` seconds of SQL less."""
        now = time.monotonic()
        self.seconds = min(BURST_SECONDS, self.seconds + (now - self.at) * REFILL_PER_SECOND) - spent
        self.asked = self.asked * 0.5 ** ((now - self.at) / HALF_LIFE_SECONDS) + asked
        self.at = now


class Turns:
    """Who runs next: the waiting client that asked least lately (asking while waiting falls back), then the first."""

    def __init__(self):
        self.running, self.order = 0, itertools.count()
        self.waiting = []  # (client, order of arrival, future), in order of arrival

    async def take(self, client):
        """Wait for a turn; False if none came within WAIT_SECONDS or a client that had asked less took the place."""
        if self.running < AT_ONCE and not self.waiting:
            self.running += 1
            return True
        if len(self.waiting) >= WAITING:
            most = max(self.waiting, key=rank)
            if rank(most) <= (client.asked, float("inf")):
                return False
            self.waiting.remove(most)
            most[2].set_result(False)
        entry = (client, next(self.order), asyncio.get_running_loop().create_future())
        self.waiting.append(entry)
        try:
            return await asyncio.wait_for(asyncio.shield(entry[2]), WAIT_SECONDS)
        except asyncio.TimeoutError:
            self.leave(entry)
            return False
        except BaseException:  # the request went away while it waited
            self.leave(entry)
            raise

    def leave(self, entry):
        """A waiter gone: out of the queue, or, if its turn came as it left, the turn passed on."""
        turn = entry[2]
        if not turn.done():
            turn.cancel()
            self.waiting.remove(entry)
        elif turn.result():
            self.give_back()

    def give_back(self):
        """The turn passes to the waiting client that has asked least (running stays the same), else the slot frees."""
        if self.waiting:
            first = min(self.waiting, key=rank)
            self.waiting.remove(first)
            first[2].set_result(True)
        else:
            self.running -= 1


def rank(entry):
    return entry[0].asked, entry[1]


class Gate:
    def __init__(self, app, datasette):
        self.app, self.datasette, self.clients = app, datasette, OrderedDict()
        self.turns = {}  # (queue, event loop): Turns

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        pairs = parameters(scope.get("query_string", b""))
        if isinstance(pairs, tuple):  # the page says so without repeating the address (its links keep no query)
            return await self.refuse({**scope, "query_string": b""}, receive, send, *pairs)
        searched = scope["path"] == "/search" and any(key == "q" and value.strip() for key, value in pairs)
        facets = sum(key in FACET_PARAMETERS for key, _ in pairs)
        if not searched and facets <= MAX_FACETS and not arbitrary(pairs):
            return await self.app(scope, receive, send)
        client = self.client(scope)
        client.count(1)

        async def refused(status, retry_after, message):
            if client.asked > SLOWED_AFTER:
                await asyncio.sleep(SLOWED_SECONDS)
            await self.refuse(scope, receive, send, status, message, retry_after)

        if searched:
            return await self.in_turn("search", client, refused, lambda: self.app(scope, receive, send))
        if facets > MAX_FACETS:
            return await refused(400, None, f"A page may ask for at most {MAX_FACETS} facets.")
        if client.under_way:
            return await refused(429, 1, "Your previous query is still running: send the next one when it has "
                                         "finished.")
        if client.seconds <= 0:
            return await refused(429, int(-client.seconds / REFILL_PER_SECOND) + 1,
                                 "You have run a lot of SQL in the last minutes: please wait before the next query.")
        client.under_way += 1
        try:
            return await self.in_turn("sql", client, refused, lambda: self.app(rows_alone(scope, pairs), receive, send))
        finally:
            client.under_way -= 1

    async def in_turn(self, queue, client, refused, run):
        """run() in its turn (a queue per event loop: the server's is not the one plugins load in), its time counted."""
        turns = self.turns.setdefault((queue, id(asyncio.get_running_loop())), Turns())
        if not await turns.take(client):
            return await refused(503, WAIT_SECONDS, BUSY[queue])
        started = time.monotonic()
        try:
            return await run()
        finally:
            turns.give_back()
            took = time.monotonic() - started
            client.count(took, took if queue == "sql" else 0.0)

    async def refuse(self, scope, receive, send, status, message, retry_after=None):
        request = Request({**scope, "csrftoken": lambda: ""}, receive)  # outside CSRF: a GET form needs none
        await (await refusal(self.datasette, request, status, message, retry_after)).asgi_send(send)

    def client(self, scope):
        header = (self.datasette.plugin_config("sql_gate") or {}).get("client_ip_header")
        key = dict(scope.get("headers") or []).get(header.lower().encode()) if header else None
        key = key.decode("latin-1") if key else (scope.get("client") or ("unknown",))[0]
        if key not in self.clients:
            self.clients[key] = Client()
            while len(self.clients) > MAX_CLIENTS:
                self.clients.popitem(last=False)
        self.clients.move_to_end(key)
        return self.clients[key]


def rows_alone(scope, pairs):
    """A table page's request asked with arbitrary SQL runs it once: its rows, without count or facets."""
    if scope["path"].count("/") < 2:  # a database or query page: one query already
        return scope
    pairs = [(k, v) for k, v in pairs if k not in ("_nocount", "_nofacet")] + [("_nocount", "1"), ("_nofacet", "1")]
    return {**scope, "query_string": urlencode(pairs).encode("latin-1")}


async def refusal(datasette, request, status, message, retry_after=None, templates="sql_refused.html"):
    """A refusal as the client asked for the page: JSON, plain text for CSV, or the site's HTML page."""
    headers = {"retry-after": str(retry_after)} if retry_after else {}
    info = {"ok": False, "error": message, "status": status, "title": None, "retry_after": retry_after}
    accept = request.headers.get("accept", "")
    if (request.path.endswith(".json") or "_shape" in request.args
            or "application/json" in accept and "text/html" not in accept):
        return Response.json(info, status=status, headers=headers)
    if request.path.endswith(".csv"):
        return Response.text(message + "\n", status=status, headers=headers)
    return Response.html(await datasette.render_template(templates, info, request=request), status=status,
                         headers=headers)


@hookimpl(tryfirst=True)  # inside plugins/responses.py, so that refusals carry its headers
def asgi_wrapper(datasette):
    return lambda app: Gate(app, datasette)


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
    written = any(key in request.args for key in WRITTEN_SQL)
    return "This page took too long to make: try again in a moment." if cut and not written else None


def is_json(text, kind, keys=()):
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, kind) and all(key in value for key in keys)


def not_found(request, exception):
    """Datasette's message for a page that does not exist, or None for any other exception."""
    if getattr(exception, "status", None) == 404:
        return getattr(exception, "message", None) or (str(exception.args[0]) if exception.args else "Not Found")
    return None


@hookimpl
def handle_exception(datasette, request, exception):
    for said, status in ((mistake, 400), (not_found, 404), (too_long, 503)):
        if message := said(request, exception):
            return refusal(datasette, request, status, message, templates=[f"{status}.html", "error.html"])
    return None  # a fault of ours: Datasette's 500


async def unknown_format(datasette, request):
    formats = ", ".join(f".{name}" for name in ("json", "csv", *sorted(datasette.renderers)))
    raise NotFound(f"There is no .{request.url_vars['format']} format: pages are given as {formats}.")


@hookimpl
def register_routes(datasette):
    """A database, table or row in a format no renderer gives (/db.fmt, /db/table.fmt, /db/table/row.fmt)."""
    databases = "|".join(re.escape(db.route) for name, db in datasette.databases.items() if name != "_internal")
    known = "|".join(re.escape(name) for name in ("json", "csv", "db", *datasette.renderers))
    return [(rf"^/(?:{databases})(?:/[^/.]+(?:/[^/]+?)?)?\.(?!(?:{known})$)(?P<format>\w+)$", unknown_format)]
