"""/-/databases and /-/databases.json without the server's file paths.

Datasette lists each database with its path on the server's disk; a visitor needs its name, size and hash (the
publishing workflow compares the hash), not where it lives. Plugin routes are matched before Datasette's own.
"""

import json

from datasette import hookimpl
from datasette.utils.asgi import Response

PUBLIC = ("name", "route", "size", "is_mutable", "is_memory", "hash")


async def databases(datasette, request):
    data = [{key: getattr(db, key) for key in PUBLIC} for name, db in datasette.databases.items() if name != "_internal"]
    if request.url_vars.get("format"):
        return Response.json(data)
    return Response.html(await datasette.render_template(
        "show_json.html", {"filename": "databases.json", "data_json": json.dumps(data, indent=4)}, request=request))


@hookimpl
def register_routes():
    return [(r"^/-/databases(?P<format>\.json)?$", databases)]
