"""What every response goes through, one ASGI wrapper so that the order its layers rely on is fixed in one place:
pages are remembered compressed and with their headers, a CSV is completed before it is compressed, and
plugins/sql_gate.py's refusals (tryfirst: inside it) carry its headers (docs/building.md, "The server").
"""

import base64
import hashlib
import re
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode

from asgi_gzip import GZipMiddleware
from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import await_me_maybe
from datasette.utils.asgi import Response

HEADERS = [
    (b"x-content-type-options", b"nosniff"),  # browsers must not guess a type (a CSV or JSON cell read as HTML)
    (b"x-frame-options", b"DENY"),  # no other site may frame a page (clickjacking)
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
# Scripts: the site's own files and inline scripts, each named by its hash; styles inline too (Datasette's attributes).
POLICY = ("default-src 'self'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: https://*.tile.openstreetmap.org; object-src 'none'; base-uri 'self'; "
          "form-action 'self'; frame-ancestors 'none'")
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# Datasette's table.html writes one inline script from a variable: whether facets may be chosen.
TEMPLATED = {"DATASETTE_ALLOW_FACET = {{ datasette_allow_facet }};": [
    "DATASETTE_ALLOW_FACET = true;", "DATASETTE_ALLOW_FACET = false;"]}
COMPRESS_LEVEL = 6  # zlib's default: within a few per cent of level 9's size, in about half the time
MINIMUM_BYTES = 1000  # smaller bodies gain too little to pay for the gzip header and the work
SQL_PARAMETER = re.compile(rb"(?:^|&)sql=")
MAX_RESPONSE_BYTES = 2 * 2**20  # as sent: a compressed page takes a tenth of the room
MAX_TOTAL_BYTES = 64 * 2**20
FAILED_QUERY_CSV = b"\r\n"  # what Datasette sends for a query that failed: no header (a query has a column at least)


def script_hash(script):
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def template_scripts(environment):
    """The inline scripts of every template: written as they are, or each way Datasette fills one in."""
    return {filled for name in environment.list_templates(extensions=["html"])
            for script in INLINE_SCRIPT.findall(environment.loader.get_source(environment, name)[0])
            for filled in TEMPLATED.get(script, [] if "{{" in script or "{%" in script else [script])}


async def body_scripts(datasette):
    """What plugins add to pages through extra_body_script, for every page of every database, table and view."""
    pages = [(None, None, None, view) for view in ("index", "database", "query", "row")]
    for name, db in datasette.databases.items():
        for table in [*await db.table_names(), *await db.view_names()]:
            pages += [(name, table, await db.table_columns(table), view) for view in ("table", "row")]
    scripts = set()
    for database, table, columns, view_name in pages:
        for found in pm.hook.extra_body_script(template=f"{view_name}.html", database=database, table=table,
                                               columns=columns, view_name=view_name, request=None, datasette=datasette):
            found = await await_me_maybe(found)
            scripts.add(str(found["script"] if isinstance(found, dict) else found))  # as Datasette writes it
    return scripts


@hookimpl
def startup(datasette):
    async def work_out_the_policy():
        environment = getattr(datasette, "get_jinja_environment", lambda: datasette.jinja_env)()  # 1.0: no jinja_env
        scripts = template_scripts(environment) | await body_scripts(datasette)
        datasette._content_security_policy = POLICY.format(scripts=" ".join(sorted(map(script_hash, scripts)))).encode()

    return work_out_the_policy


class Remembered:
    """Responses by key, least recently used first out once they hold more than max_bytes of body."""

    def __init__(self, max_bytes):
        self.max_bytes, self.bytes, self.responses = max_bytes, 0, OrderedDict()

    def get(self, key):
        if key in self.responses:
            self.responses.move_to_end(key)
        return self.responses.get(key)

    def put(self, key, start, body):
        if key in self.responses:
            return
        self.responses[key] = (start, body)
        self.bytes += len(body)
        while self.bytes > self.max_bytes:
            _, (_, forgotten) = self.responses.popitem(last=False)
            self.bytes -= len(forgotten)


def key_of(scope, datasette):
    """A response's key (host too: feeds link absolutely), or None: /-/ pages, ?sql= (would push pages out)."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith("/-/"):
        return None
    headers = dict(scope.get("headers") or [])
    query = scope.get("query_string", b"")
    if (b"cookie" in headers or b"authorization" in headers or SQL_PARAMETER.search(query)
            or any(db.is_mutable for name, db in datasette.databases.items() if name != "_internal")):
        return None
    return scope.get("scheme"), headers.get(b"host"), scope["path"], query, b"gzip" in headers.get(
        b"accept-encoding", b"")


def remembering(app, datasette):
    remembered = Remembered(MAX_TOTAL_BYTES)

    async def respond(scope, receive, send):
        if (key := key_of(scope, datasette)) is None:
            return await app(scope, receive, send)
        if response := remembered.get(key):
            start, body = response
            await send(start)
            return await send({"type": "http.response.body", "body": body})
        sent, size = [], 0  # the response as it is passed on, while it may still be remembered

        async def recording(message):
            nonlocal sent, size
            if sent is not None:
                sent.append(message)
                size += len(message.get("body", b""))
                headers = {(name.lower(), value) for name, value in sent[0].get("headers", [])}
                if (size > MAX_RESPONSE_BYTES or sent[0]["status"] != 200 or (b"cache-control", b"no-store") in headers
                        or any(name == b"set-cookie" for name, _ in headers)):
                    sent = None
            await send(message)

        await app(scope, receive, recording)
        if sent and len(sent) > 1 and not sent[-1].get("more_body"):
            remembered.put(key, sent[0], b"".join(message.get("body", b"") for message in sent[1:]))

    return respond


def cache_control(scope, ttl):
    """Static files a week, a year where their URL has their hash; other pages default_cache_ttl; /-/ pages nothing."""
    if scope["path"].startswith(("/-/static/", "/-/static-plugins/")):
        return b"public, max-age=31536000, immutable" if scope.get("query_string") else b"public, max-age=604800"
    return None if scope["path"].startswith("/-/") else f"max-age={ttl}".encode()


def with_headers(message, scope, datasette):
    headers = list(message.get("headers", []))
    names = {name.lower() for name, _ in headers}
    policy = getattr(datasette, "_content_security_policy", None)
    cache = cache_control(scope, datasette.setting("default_cache_ttl")) if message["status"] == 200 else None
    ours = [*HEADERS, (b"content-security-policy", policy), (b"cache-control", cache)]
    headers += [(name, value) for name, value in ours if value and name not in names]  # where the response sets none
    if scope["path"].endswith(".db") and b"content-length" in names:  # Datasette says chunked too: the length went
        headers = [(name, value) for name, value in headers if name.lower() != b"transfer-encoding"]
    return {**message, "headers": headers}


def headed_and_compressed(app, datasette):
    compressing = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=COMPRESS_LEVEL)

    async def respond(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = with_headers(message, scope, datasette)
            await send(message)

        await (app if scope["path"].endswith(".db") else compressing)(scope, receive, send_with_headers)

    return respond


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
        await Response.text("The query could not be run (SQLite refused it, it took too long or its result is too "
                            f"large): {json_address} says why.\n", status=400).asgi_send(send)


def in_full(app):
    """A table's CSV with every row (Datasette's: 1,000); a query's CSV that failed (Datasette: an empty 200) a 400."""

    async def every_row(scope, receive, send):
        path, query = scope.get("path", ""), scope.get("query_string", b"")
        if scope["type"] != "http" or not path.endswith(".csv"):
            return await app(scope, receive, send)
        if path.count("/") == 1 or b"sql=" in query:  # a query's CSV (/<database>.csv?sql=) cannot stream
            return await failure_said(app, scope, receive, send)
        args = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        if path.count("/") == 2 and not any(key in ("_stream", "_next") for key, _ in args):  # /<db>/<table>.csv
            scope = {**scope, "query_string": urlencode([*args, ("_stream", "on")]).encode("latin-1")}
        await app(scope, receive, send)

    return every_row


@hookimpl(trylast=True)  # the outermost wrapper
def asgi_wrapper(datasette):
    return lambda app: remembering(headed_and_compressed(in_full(app), datasette), datasette)
