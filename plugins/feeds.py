"""The Atom feeds: absolute links in their entries, and <link rel="alternate"> discovery on the pages they belong to.

Feed readers need absolute links (RFC 4287 allows relative ones only under an xml:base, which datasette-atom does
not write). The feed queries in metadata.yml build them from the magic parameter :_site_url, this site's address as
the request reached it (https behind a proxy that says so through Datasette's force_https_urls setting).
"""

from datasette import hookimpl

DATABASE = "conscience"
FEEDS = ["feed_new_arrests", "feed_releases", "feed_changes", "feed_events"]
# Pages and the feeds that follow them: the home and about pages, and the tables the feeds are drawn from.
FEEDS_OF_TABLE = {"changes": ["feed_changes", "feed_new_arrests", "feed_releases"], "releases": ["feed_changes"],
                  "events": ["feed_events"]}
FEEDS_OF_TEMPLATE = {"index.html": FEEDS, "about.html": FEEDS}


@hookimpl
def register_magic_parameters(datasette):
    def site(key, request):
        if key != "url":
            raise KeyError(key)
        return datasette.absolute_url(request, "/").rstrip("/")

    return [("site", site)]


def feeds_of(template, request):
    if template == "table.html" and request is not None:
        if request.url_vars.get("database") == DATABASE:
            return FEEDS_OF_TABLE.get(request.url_vars.get("table"), [])
        return []
    return FEEDS_OF_TEMPLATE.get(template, [])


@hookimpl
def prepare_jinja2_environment(env):
    env.globals["page_feeds"] = []  # for pages Datasette renders without asking plugins, such as its error pages


@hookimpl
def extra_template_vars(template, request, datasette):
    queries = datasette.metadata("queries", database=DATABASE) or {}
    return {"page_feeds": [
        {"title": queries[name]["title"],
         "url": datasette.absolute_url(request, datasette.urls.path(f"/{DATABASE}/{name}.atom")) if request
         else f"/{DATABASE}/{name}.atom"}
        for name in feeds_of(template, request)]}
