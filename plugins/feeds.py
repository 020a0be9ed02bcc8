"""Atom (.atom, with feedgen; trylast: ours, not datasette-atom's) and JSON Feed 1.1 (.jsonfeed) of any query returning
atom_id, atom_title and atom_updated, and their discovery links. Entries are dated at the release that added them: Atom
needs a full timestamp, and a source's partial date ("2019-05") is never completed to a day.
"""

import json

from datasette import __version__, hookimpl
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError
from feedgen.feed import FeedGenerator

# Pages and the feeds that follow them: the home and about pages all, the tables the feeds are drawn from theirs.
FEEDS = ["feed_new_arrests", "feed_releases", "feed_changes", "feed_events"]
FEEDS_OF_TABLE = {"changes": ["feed_changes", "feed_new_arrests", "feed_releases"], "releases": ["feed_changes"],
                  "events": ["feed_events"]}
REQUIRED_COLUMNS = {"atom_id", "atom_title", "atom_updated"}
AUTHOR = "Conscience"  # the feed's own <author>, which RFC 4287 asks for: entries have none


async def canned_queries(datasette, actor):
    """{name: title} of the database's canned queries: get_canned_queries up to 0.65, list_queries from 1.0a41."""
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


@hookimpl
def prepare_jinja2_environment(env):
    env.globals["page_feeds"] = []  # for pages Datasette renders without asking plugins, such as its error pages


@hookimpl
def extra_template_vars(template, request, datasette):
    database = datasette.get_database()
    feeds = FEEDS if template in ("index.html", "about.html") else []
    if template == "table.html" and request is not None and request.url_vars.get("database") == database.route:
        feeds = FEEDS_OF_TABLE.get(request.url_vars.get("table"), [])
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


def entries(datasette, request, rows, columns):
    for row in rows:
        optional = {"content_text": row["atom_content"] if "atom_content" in columns else None,
                    "url": row["atom_link"] and datasette.absolute_url(request, row["atom_link"])
                    if "atom_link" in columns else None,
                    "tags": row["atom_category"] and [row["atom_category"]] if "atom_category" in columns else None}
        yield {"id": str(row["atom_id"]), "title": str(row["atom_title"]), "date_modified": row["atom_updated"],
               **{key: value for key, value in optional.items() if value}}


async def feed_heading(datasette, request, columns, query_name):
    if not can_render(columns):  # a table or query that is not a feed: the visitor's mistake
        raise DatasetteError(f"A feed's query must return the columns {', '.join(sorted(REQUIRED_COLUMNS))}",
                             status=400)
    title = (await canned_queries(datasette, request.actor)).get(query_name, query_name) if query_name else None
    return title or AUTHOR, datasette.absolute_url(request, datasette.urls.instance())


async def render_atom(datasette, request, rows, columns, query_name):
    title, home = await feed_heading(datasette, request, columns, query_name)
    latest = (await datasette.get_database().execute("select max(released_on) from releases")).first()[0]
    feed = FeedGenerator()
    feed.id(datasette.absolute_url(request, request.full_path))
    feed.title(title)
    feed.author({"name": AUTHOR, "uri": home})
    feed.link(href=datasette.absolute_url(request, request.full_path), rel="self")
    feed.link(href=home, rel="alternate")
    feed.generator("Datasette", __version__, "https://datasette.io/")
    feed.updated(f"{latest or '1970-01-01'}T00:00:00Z")
    for item in entries(datasette, request, rows, columns):
        entry = feed.add_entry(order="append")
        entry.id(item["id"])
        entry.title(item["title"])
        entry.updated(item["date_modified"])
        if "content_text" in item:
            entry.content(item["content_text"], type="text")
        if "url" in item:
            entry.link(href=item["url"])
        for tag in item.get("tags", []):
            entry.category(term=tag)
    return Response(feed.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8")


async def render_json_feed(datasette, request, rows, columns, query_name):
    title, home = await feed_heading(datasette, request, columns, query_name)
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": home,
            "feed_url": datasette.absolute_url(request, request.full_path), "authors": [{"name": AUTHOR, "url": home}],
            "items": list(entries(datasette, request, rows, columns))}
    return Response(json.dumps(feed, ensure_ascii=False, indent=2), content_type="application/feed+json; charset=utf-8")


@hookimpl(trylast=True)
def register_output_renderer():
    return [{"extension": "atom", "render": render_atom, "can_render": can_render},
            {"extension": "jsonfeed", "render": render_json_feed, "can_render": can_render}]
