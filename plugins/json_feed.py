"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) for any query datasette-atom can render: add .jsonfeed."""

import json

from datasette import hookimpl
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

REQUIRED_COLUMNS = {"atom_id", "atom_title", "atom_updated"}


def can_render(columns):
    return REQUIRED_COLUMNS.issubset(columns)


async def render(datasette, request, rows, columns, database, query_name):
    if not can_render(columns):  # a table or query that is not a feed: the visitor's mistake, as datasette-atom says
        raise DatasetteError(f"A feed's query must return the columns {', '.join(sorted(REQUIRED_COLUMNS))}", status=400)
    title = query_name
    if query_name:
        title = datasette.metadata(database=database).get("queries", {}).get(query_name, {}).get("title", query_name)
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
        "home_page_url": datasette.absolute_url(request, "/"),
        "feed_url": datasette.absolute_url(request, request.full_path),
        "items": items,
    }
    return Response(json.dumps(feed, ensure_ascii=False, indent=2), content_type="application/feed+json; charset=utf-8")


@hookimpl
def register_output_renderer():
    return {"extension": "jsonfeed", "render": render, "can_render": can_render}
