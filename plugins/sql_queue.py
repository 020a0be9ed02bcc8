"""Arbitrary SQL (`?sql=`) runs one query at a time, so slow or hostile queries cannot take every core.

Each query is cut at the time limit, but on a 2-core machine three hostile queries running together,
each burning its full second, made everyone else's table pages several times slower. Requests carrying
`?sql=` now take turns (pages, canned queries and feeds never wait); one that cannot start within
WAIT_SECONDS is answered 503 with Retry-After, so a flood of them cannot queue forever.
"""

import asyncio
from urllib.parse import parse_qs

from datasette import hookimpl

AT_ONCE = 1
WAIT_SECONDS = 5
BUSY = "Other SQL queries are running; try again in a few seconds. Pages and canned queries are not affected.\n"


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        turns = {}  # one semaphore per event loop: the server's loop is not the one plugins load in

        async def taking_turns(scope, receive, send):
            if scope["type"] != "http" or not is_arbitrary_sql(scope):
                return await app(scope, receive, send)
            turn = turns.setdefault(id(asyncio.get_running_loop()), asyncio.Semaphore(AT_ONCE))
            try:
                await asyncio.wait_for(turn.acquire(), WAIT_SECONDS)
            except asyncio.TimeoutError:
                return await busy(send)
            try:
                return await app(scope, receive, send)
            finally:
                turn.release()

        return taking_turns

    return wrap


def is_arbitrary_sql(scope):
    return "sql" in parse_qs(scope.get("query_string", b"").decode("latin-1"))


async def busy(send):
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"retry-after", str(WAIT_SECONDS).encode())]})
    await send({"type": "http.response.body", "body": BUSY.encode()})
