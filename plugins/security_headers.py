"""Security headers on every response: the site is read-only and shows text from many sources.

The Content-Security-Policy lets a page run only the site's own script files and the inline scripts the site
itself writes, each named by its hash: the static ones in Datasette's and our templates, the facet switch of
Datasette's table page, and what plugins add through the documented extra_body_script hook (the map's
settings), all worked out once at startup. A script that reached a page any other way (a name from a source that
escaped escaping) does not run. Inline styles are allowed (Datasette's pages use style attributes); pictures may
come from the map's tile server too.
"""

import base64
import hashlib
import re

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
        async def add_headers(scope, receive, send):
            async def send_with_headers(event):
                if event["type"] == "http.response.start":
                    names = {name.lower() for name, _ in event.get("headers", [])}
                    extra = [(name, value) for name, value in HEADERS if name not in names]
                    policy = getattr(datasette, "_content_security_policy", None)
                    if policy and b"content-security-policy" not in names:
                        extra.append((b"content-security-policy", policy))
                    event = {**event, "headers": list(event.get("headers", [])) + extra}
                await send(event)

            await app(scope, receive, send_with_headers)

        return add_headers

    return wrap
