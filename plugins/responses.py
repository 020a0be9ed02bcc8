"""What every response carries: security headers, compression, and the headers of files sent as files.

Security: the site is read-only and shows text from many sources. The Content-Security-Policy lets a page run only
the site's own script files and the inline scripts the site itself writes, each named by its hash: the static ones
in Datasette's and our templates, the facet switch of Datasette's table page, and what plugins add through the
documented extra_body_script hook (the map's settings), all worked out once at startup. A script that reached a page
any other way (a name from a source that escaped escaping) does not run. Inline styles are allowed (Datasette's pages
use style attributes); pictures may come from the map's tile server too.

Compression: text responses are gzipped for clients that accept it (asgi-gzip: Starlette's GZipMiddleware); the
persons table page is 290 KB of HTML and 28 KB gzipped. Streamed CSV is compressed chunk by chunk as it goes. The
database download is left alone: it is binary, and sent with its length.

Caching: any page without a Cache-Control of its own may be kept default_cache_ttl seconds, as Datasette says on its
table pages: the database changes only with a redeploy (a response personal to a cookie is "private, no-store",
which Datasette sets). Files: Datasette's and its plugins' static files (/-/static/, /-/static-plugins/) change only when the site is
redeployed with another version: browsers may keep them a week, and a year for a URL carrying its content's hash
(Datasette's app.css?<hash>), which changes whenever the file does. Datasette sends the immutable database with
both its Content-Length and "Transfer-Encoding: chunked", and the server then drops the length, so a download shows
no size or progress: the length is right, and the chunked header goes.

The order is fixed here: outside, plugins/response_cache.py (trylast), which so remembers pages compressed and with
their headers; inside, the SQL gate, CSV and format checks (tryfirst), whose refusals so carry these headers too.
"""

import base64
import hashlib
import re

from asgi_gzip import GZipMiddleware
from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import await_me_maybe

HEADERS = [
    # Browsers must not guess a content type (a CSV or JSON cell rendered as HTML).
    (b"x-content-type-options", b"nosniff"),
    # Pages cannot be framed by another site (clickjacking).
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
POLICY = ("default-src 'self'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: https://*.tile.openstreetmap.org; object-src 'none'; base-uri 'self'; "
          "form-action 'self'; frame-ancestors 'none'")
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# Datasette's table.html writes one inline script from a variable: whether facets may be chosen.
TEMPLATED = {"DATASETTE_ALLOW_FACET = {{ datasette_allow_facet }};": [
    "DATASETTE_ALLOW_FACET = true;", "DATASETTE_ALLOW_FACET = false;"]}


def script_hash(script):
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def template_scripts(environment):
    """The inline scripts of every template: written as they are, or each way Datasette fills one in."""
    scripts = set()
    for name in environment.list_templates(extensions=["html"]):
        source, _, _ = environment.loader.get_source(environment, name)
        for script in INLINE_SCRIPT.findall(source):
            scripts.update(TEMPLATED.get(script, [] if "{{" in script or "{%" in script else [script]))
    return scripts


async def body_scripts(datasette):
    """What plugins add to pages through extra_body_script, for every page of every database, table and view."""
    pages = [(None, None, None, view) for view in ("index", "database", "query", "row")]
    for name, db in datasette.databases.items():
        for table in [*await db.table_names(), *await db.view_names()]:
            pages.append((name, table, await db.table_columns(table), "table"))
            pages.append((name, table, await db.table_columns(table), "row"))
    scripts = set()
    for database, table, columns, view_name in pages:
        for found in pm.hook.extra_body_script(template=f"{view_name}.html", database=database, table=table,
                                               columns=columns, view_name=view_name, request=None, datasette=datasette):
            found = await await_me_maybe(found)
            scripts.add(str(found["script"] if isinstance(found, dict) else found))  # as Datasette writes it
    return scripts


def jinja_environment(datasette):
    """Datasette 1.0 replaced the jinja_env attribute by get_jinja_environment()."""
    return datasette.get_jinja_environment() if hasattr(datasette, "get_jinja_environment") else datasette.jinja_env


# Level 6, zlib's default: within a few per cent of level 9's size, in about half the time.
COMPRESS_LEVEL = 6
# Smaller bodies gain too little to pay for the gzip header and the work.
MINIMUM_BYTES = 1000
STATIC_PREFIXES = ("/-/static/", "/-/static-plugins/")
WEEK = b"public, max-age=604800"
YEAR = b"public, max-age=31536000, immutable"


def cache_control(scope, ttl):
    """Static files a week, or a year; any other page default_cache_ttl, as Datasette's table pages say (our pages,
    full CSVs, the download and the release's files); nothing for /-/, which describes the running server."""
    if scope["path"].startswith(STATIC_PREFIXES):
        return YEAR if scope.get("query_string") else WEEK
    return None if scope["path"].startswith("/-/") else f"max-age={ttl}".encode()


def with_headers(message, scope, ttl):
    headers = list(message.get("headers", []))
    names = {name.lower() for name, _ in headers}
    if message["status"] == 200 and b"cache-control" not in names and (cache := cache_control(scope, ttl)):
        headers.append((b"cache-control", cache))
    if scope["path"].endswith(".db") and b"content-length" in names:
        headers = [(name, value) for name, value in headers if name.lower() != b"transfer-encoding"]
    return {**message, "headers": headers}


def with_security_headers(message, datasette):
    names = {name.lower() for name, _ in message.get("headers", [])}
    extra = [(name, value) for name, value in HEADERS if name not in names]
    policy = getattr(datasette, "_content_security_policy", None)
    if policy and b"content-security-policy" not in names:
        extra.append((b"content-security-policy", policy))
    return {**message, "headers": list(message.get("headers", [])) + extra}


@hookimpl
def startup(datasette):
    async def work_out_the_policy():
        scripts = template_scripts(jinja_environment(datasette)) | await body_scripts(datasette)
        datasette._content_security_policy = POLICY.format(
            scripts=" ".join(sorted(map(script_hash, scripts)))).encode()

    return work_out_the_policy


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        compressing = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=COMPRESS_LEVEL)

        async def respond(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    message = with_security_headers(
                        with_headers(message, scope, datasette.setting("default_cache_ttl")), datasette)
                await send(message)

            inner = app if scope["path"].endswith(".db") else compressing
            await inner(scope, receive, send_with_headers)

        return respond

    return wrap
