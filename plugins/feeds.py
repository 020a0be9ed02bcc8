"""The feeds: Atom (RFC 4287, .atom) and JSON Feed 1.1 (https://jsonfeed.org/version/1.1, .jsonfeed) for any query
that returns atom_id, atom_title and atom_updated (atom_content, atom_link and atom_category if it has them), absolute
links in their entries, and <link rel="alternate"> discovery on the pages they belong to.

Atom is written with feedgen, with the feed-level <author> RFC 4287 asks for (entries have none of their own), as
application/atom+xml; plugins/responses.py compresses it like any response. A feed's <updated> is the latest release's
date (the releases table): the feed changes only with a release. Entries keep the order of the query (newest first by
the sources' dates) and are each <updated> at the date of the release that added them: Atom needs a full timestamp,
and a source's partial date ("2019-05") is never completed to a day; it is in the entry's title and text as the
source gives it. Where datasette-atom is installed too (it was this site's Atom renderer), this hook runs after that
(trylast), so that this renderer is the one .atom uses.

Feed readers need absolute links (RFC 4287 allows relative ones only under an xml:base, which these feeds do not
write). The feed queries in metadata.yml build them from the magic parameter :_site_url, this site's address as
the request reached it, under Datasette's base_url (https behind a proxy that says so through Datasette's
force_https_urls setting).
"""

import json

from datasette import __version__, hookimpl
from feedgen.feed import FeedGenerator
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

FEEDS = ["feed_new_arrests", "feed_releases", "feed_changes", "feed_events"]
# Pages and the feeds that follow them: the home and about pages, and the tables the feeds are drawn from.
FEEDS_OF_TABLE = {"changes": ["feed_changes", "feed_new_arrests", "feed_releases"], "releases": ["feed_changes"],
                  "events": ["feed_events"]}
FEEDS_OF_TEMPLATE = {"index.html": FEEDS, "about.html": FEEDS}
REQUIRED_COLUMNS = {"atom_id", "atom_title", "atom_updated"}
AUTHOR = "Conscience"


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


def entries(datasette, request, rows, columns):
    """Each row as a feed entry: id, title, updated, and text, absolute link and category where the query has them."""
    for row in rows:
        yield {"id": str(row["atom_id"]), "title": str(row["atom_title"]), "updated": row["atom_updated"],
               "text": row["atom_content"] if "atom_content" in columns else None,
               "url": datasette.absolute_url(request, row["atom_link"]) if "atom_link" in columns and row["atom_link"]
               else None,
               "category": row["atom_category"] if "atom_category" in columns else None}


async def feed_heading(datasette, request, columns, query_name):
    if not can_render(columns):  # a table or query that is not a feed: the visitor's mistake
        raise DatasetteError(f"A feed's query must return the columns {', '.join(sorted(REQUIRED_COLUMNS))}", status=400)
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
        entry.updated(item["updated"])
        if item["text"]:
            entry.content(item["text"], type="text")
        if item["url"]:
            entry.link(href=item["url"])
        if item["category"]:
            entry.category(term=item["category"])
    return Response(feed.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8")


async def render_json_feed(datasette, request, rows, columns, query_name):
    title, home = await feed_heading(datasette, request, columns, query_name)
    items = []
    for item in entries(datasette, request, rows, columns):
        out = {"id": item["id"], "title": item["title"], "date_modified": item["updated"]}
        if item["text"]:
            out["content_text"] = item["text"]
        if item["url"]:
            out["url"] = item["url"]
        if item["category"]:
            out["tags"] = [item["category"]]
        items.append(out)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": home,
        "feed_url": datasette.absolute_url(request, request.full_path),
        "authors": [{"name": AUTHOR, "url": home}],
        "items": items,
    }
    return Response(json.dumps(feed, ensure_ascii=False, indent=2), content_type="application/feed+json; charset=utf-8")


@hookimpl(trylast=True)
def register_output_renderer():
    return [{"extension": "atom", "render": render_atom, "can_render": can_render},
            {"extension": "jsonfeed", "render": render_json_feed, "can_render": can_render}]
