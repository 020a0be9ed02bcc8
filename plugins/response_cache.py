"""Whole responses remembered: a page of an immutable database is the same every time it is asked for.

When a case is in the news most visitors ask for the same few pages. Making the persons page at 1M persons
takes about 23 ms, most of it Datasette writing 2,700 table cells; sending it again as it was made takes
well under a millisecond. The database changes only with a redeploy, which starts a new process.

Remembered: GET requests without cookies or credentials for pages of immutable databases, keyed by scheme,
host (feeds hold absolute links), path, query string and whether the client accepts gzip; answered 200 without
setting a cookie or saying no-store (a citation, dated the day it is asked for); up to MAX_RESPONSE_BYTES each
(as sent, so compressed pages take a tenth of the room) and MAX_TOTAL_BYTES in all, the least recently asked for
forgotten first. Not
remembered: /-/ pages, which describe the running server, and ?sql= queries, which take turns
(plugins/sql_gate.py) and, each new, would only push pages out.
"""

import re
from collections import OrderedDict

from datasette import hookimpl

SQL_PARAMETER = re.compile(rb"(?:^|&)sql=")
MAX_RESPONSE_BYTES = 2 * 2**20
MAX_TOTAL_BYTES = 64 * 2**20


class Remembered:
    """Responses by key, least recently used first out once they hold more than max_bytes of body."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.responses = OrderedDict()

    def get(self, key):
        response = self.responses.get(key)
        if response is not None:
            self.responses.move_to_end(key)
        return response

    def put(self, key, start, body):
        if key in self.responses:
            return
        self.responses[key] = (start, body)
        self.bytes += len(body)
        while self.bytes > self.max_bytes:
            _, (_, forgotten) = self.responses.popitem(last=False)
            self.bytes -= len(forgotten)


class Recording:
    """Passes a response on as it is sent, keeping a copy while it may still be remembered."""

    def __init__(self, send):
        self.send_on = send
        self.start = None
        self.chunks = []
        self.size = 0
        self.keep = True
        self.complete = False

    async def send(self, message):
        if message["type"] == "http.response.start":
            self.start = message
            headers = [(name.lower(), value) for name, value in message.get("headers", [])]
            self.keep = message["status"] == 200 and all(
                name != b"set-cookie" and (name, value) != (b"cache-control", b"no-store") for name, value in headers)
        elif message["type"] == "http.response.body" and self.keep:
            body = message.get("body", b"")
            self.size += len(body)
            self.keep = self.size <= MAX_RESPONSE_BYTES
            if self.keep:
                self.chunks.append(body)
            else:
                self.chunks.clear()
            self.complete = not message.get("more_body", False)
        await self.send_on(message)

    def response(self):
        """(start message, whole body) if the response may be remembered, else None."""
        return (self.start, b"".join(self.chunks)) if self.keep and self.complete else None


def key_of(scope, datasette):
    """What identifies a rememberable request's response, or None for a request that must be answered anew."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith("/-/"):
        return None
    headers = dict(scope.get("headers") or [])
    if b"cookie" in headers or b"authorization" in headers:
        return None
    query = scope.get("query_string", b"")
    if SQL_PARAMETER.search(query):
        return None
    if any(db.is_mutable for name, db in datasette.databases.items() if name != "_internal"):
        return None
    # Pages are remembered as sent: compressed for clients that accept gzip (plugins/responses.py), plain for others.
    accepts_gzip = b"gzip" in headers.get(b"accept-encoding", b"")
    return scope.get("scheme"), headers.get(b"host"), scope["path"], query, accepts_gzip


@hookimpl(trylast=True)  # the outermost wrapper: a page is remembered as sent (plugins/responses.py)
def asgi_wrapper(datasette):
    def wrap(app):
        remembered = Remembered(MAX_TOTAL_BYTES)

        async def remembering(scope, receive, send):
            key = key_of(scope, datasette)
            if key is None:
                return await app(scope, receive, send)
            response = remembered.get(key)
            if response is None:
                recording = Recording(send)
                await app(scope, receive, recording.send)
                if made := recording.response():
                    remembered.put(key, *made)
                return
            start, body = response
            await send(start)
            await send({"type": "http.response.body", "body": body})

        return remembering

    return wrap
