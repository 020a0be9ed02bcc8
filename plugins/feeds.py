"""The feeds: absolute links in their entries, <link rel="alternate"> discovery on the pages they belong to, and
JSON Feed 1.1 (https://jsonfeed.org/version/1.1) for any query datasette-atom can render: add .jsonfeed.

Feed readers need absolute links (RFC 4287 allows relative ones only under an xml:base, which datasette-atom does
not write). The feed queries in metadata.yml build them from the magic parameter :_site_url, this site's address as
the request reached it, under Datasette's base_url (https behind a proxy that says so through Datasette's
force_https_urls setting).
"""

import json

from datasette import hookimpl
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

FEEDS = ["feed_new_arrests", "feed_releases", "feed_changes", "feed_events"]
# Pages and the feeds that follow them: the home and about pages, and the tables the feeds are drawn from.
FEEDS_OF_TABLE = {"changes": ["feed_changes", "feed_new_arrests", "feed_releases"], "releases": ["feed_changes"],
                  "events": ["feed_events"]}
FEEDS_OF_TEMPLATE = {"index.html": FEEDS, "about.html": FEEDS}
REQUIRED_COLUMNS = {"atom_id", "atom_title", "atom_updated"}


async def canned_queries(datasette, actor):
    """{name: title} of the database's canned queries, through each Datasette's public API: get_canned_queries up to
    0.65, the stored queries of 1.0 (list_queries, from 1.0a41)."""
    if hasattr(datasette, "list_queries"):
        page = await datasette.list_queries(datasette.get_database().name, actor=actor, limit=1000)
        return {query.name: query.title or query.name for query in page.queries}
    queries = await datasette.get_canned_queries(datasette.get_database().name, actor)
    return {name: query.get("title") or name for name, query in queries.items()}


@hookimpl
def register_magic_parameters(datasette):
    def site(key, request):
        if key != "url":
            raise KeyError(key)
        return datasette.absolute_url(request, datasette.urls.instance()).rstrip("/")

    return [("site", site)]


def feeds_of(template, request, database):
    if template == "table.html" and request is not None:
        if request.url_vars.get("database") == database.route:
            return FEEDS_OF_TABLE.get(request.url_vars.get("table"), [])
        return []
    return FEEDS_OF_TEMPLATE.get(template, [])


@hookimpl
def prepare_jinja2_environment(env):
    env.globals["page_feeds"] = []  # for pages Datasette renders without asking plugins, such as its error pages


@hookimpl
def extra_template_vars(template, request, datasette):
    database = datasette.get_database()
    feeds = feeds_of(template, request, database)
    if not feeds:
        return {"page_feeds": []}

    async def with_titles():
        titles = await canned_queries(datasette, request.actor if request else None)
        return {"canned_queries": titles, "page_feeds": [
            {"title": titles.get(name, name),
             "url": datasette.absolute_url(request, datasette.urls.path(f"/{database.route}/{name}.atom")) if request
             else f"/{database.route}/{name}.atom"}
            for name in feeds if name in titles]}

    return with_titles


def can_render(columns):
    return REQUIRED_COLUMNS.issubset(columns)


async def render_json_feed(datasette, request, rows, columns, query_name):
    if not can_render(columns):  # a table or query that is not a feed: the visitor's mistake, as datasette-atom says
        raise DatasetteError(f"A feed's query must return the columns {', '.join(sorted(REQUIRED_COLUMNS))}", status=400)
    title = (await canned_queries(datasette, request.actor)).get(query_name, query_name) if query_name else None
    items = []
    for row in rows:
        item = {"id": row["atom_id"], "title": row["atom_title"], "date_modified": row["atom_updated"]}
        if "atom_content" in columns:
            item["content_text"] = row["atom_content"]
        if "atom_link" in columns and row["atom_link"]:
            item["url"] = datasette.absolute_url(request, row["atom_link"])
        items.append(item)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": datasette.absolute_url(request, datasette.urls.instance()),
        "feed_url": datasette.absolute_url(request, request.full_path),
        "items": items,
    }
    return Response(json.dumps(feed, ensure_ascii=False, indent=2), content_type="application/feed+json; charset=utf-8")


@hookimpl
def register_output_renderer():
    return {"extension": "jsonfeed", "render": render_json_feed, "can_render": can_render}
