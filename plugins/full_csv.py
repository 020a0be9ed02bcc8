"""A table's CSV holds every matching row: the CSV link of a table page streams them all.

Datasette links a table page's CSV with ?_size=max, which sends the first 1,000 rows and says nothing of the
rest (persons in China, detained: 1,000 of 1,885). A CSV of a table or view asked for without _stream is
streamed in full instead: Datasette's own streaming (allow_csv_stream, scripts/settings.py) pages through every
row, in the page's order. A CSV asked for with _next (one page of an API walk) is left as asked.
"""

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl


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


@hookimpl
def asgi_wrapper():
    def wrap(app):
        async def every_row(scope, receive, send):
            await app(streamed(scope) or scope, receive, send)

        return every_row

    return wrap
