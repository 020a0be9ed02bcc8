"""A table's CSV holds every matching row: the CSV link of a table page streams them all.

Datasette links a table page's CSV with ?_size=max, which sends the first 1,000 rows and says nothing of the
rest (persons in China, detained: 1,000 of 1,885). A CSV of a table or view asked for without _stream is
streamed in full instead: Datasette's own streaming (allow_csv_stream, scripts/settings.py) pages through every
row, in the page's order. A CSV asked for with _next (one page of an API walk) is left as asked.

A query's CSV that fails (SQL SQLite refuses, a result over its budget) is a 200 with an empty line in Datasette
0.65, which a script reads as "no rows": it is answered 400, naming the query's JSON, which says why.
"""

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl

FAILED_QUERY_CSV = b"\r\n"  # what Datasette sends for a query that failed: no header (a query has a column at least)


def streamed(scope):
    """The scope of a table's CSV, asked to stream every row; None when the request is not one."""
    path = scope.get("path", "")
    if scope.get("type") != "http" or not path.endswith(".csv") or path.count("/") != 2:
        return None  # /<database>/<table>.csv only: a query's CSV (/<database>.csv?sql=) cannot stream
    args = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if any(key in ("_stream", "_next") for key, _ in args):
        return None
    query = urlencode([*args, ("_stream", "on")])
    return {**scope, "query_string": query.encode("latin-1")}


def is_query_csv(scope):

    path = scope.get("path", "")
    return scope.get("type") == "http" and path.endswith(".csv") and (path.count("/") == 1 or b"sql=" in scope.get(
        "query_string", b""))


async def failure_said(app, scope, receive, send):
    """A query's CSV, unless it failed: then a 400 saying where to read why (the query is not run again)."""
    held, body = [], b""

    async def relay(message):
        nonlocal held, body
        if held is None:
            return await send(message)
        held.append(message)
        body += message.get("body", b"")
        ended = message["type"] == "http.response.body" and not message.get("more_body")
        if not FAILED_QUERY_CSV.startswith(body) or (ended and body != FAILED_QUERY_CSV):
            for kept in held:
                await send(kept)
            held = None

    await app(scope, receive, relay)
    if held is not None:
        json_address = scope["path"].removesuffix(".csv") + ".json?" + scope.get("query_string", b"").decode("latin-1")
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
        await send({"type": "http.response.body", "body": (
            f"The query could not be run (SQLite refused it, it took too long or its result is too large): "
            f"{json_address} says why.\n").encode()})


@hookimpl(tryfirst=True)  # inside plugins/responses.py: the CSV as written, before compression
def asgi_wrapper():
    def wrap(app):
        async def every_row(scope, receive, send):
            if is_query_csv(scope):
                return await failure_said(app, scope, receive, send)
            await app(streamed(scope) or scope, receive, send)

        return every_row

    return wrap
