"""The instance: its one database under any name, the templates copied from Datasette's version and what they show
(the SQL page lists the schema, hidden tables out), /-/databases without file paths, no printed tracebacks, gc frozen.
"""

import gc
import json
import sys
from pathlib import Path

import datasette
from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response
from jinja2 import ChoiceLoader, FileSystemLoader

WRITTEN_FOR = "0.65.5"
APPLIES = datasette.__version__ == WRITTEN_FOR
if APPLIES:  # Datasette's internals, as they are in that version
    from datasette import handle_exception

TEMPLATES = Path(__file__).parent.parent / "templates"
# What /-/databases says of each database: no path on the server's disk; the hash, which publishing compares.
PUBLIC = ("name", "route", "size", "is_mutable", "is_memory", "hash")


@hookimpl
def get_metadata(datasette):
    """metadata.yml describes the one database as `conscience`: given to it under whatever name it is served by."""
    served = [name for name in datasette.databases if name != "_internal"]
    described = (getattr(datasette, "_metadata_local", None) or {}).get("databases") or {}
    if len(served) == 1 and len(described) == 1 and served[0] not in described:
        return {"databases": {served[0]: next(iter(described.values()))}}
    return {}


@hookimpl
def extra_template_vars(template, database, request, datasette):
    name = datasette.get_database().name

    def row_url(table, key, format=None):
        """A row's page, its key tilde-encoded (`records/cecc-ppd~2F2011-00179`): a key with a slash names one row."""
        return datasette.urls.row(name, table, tilde_encode(str(key)), format=format)

    found = {"db_name": name, "row_url": row_url}
    canned = request is not None and request.url_vars.get("table")  # a canned query's page: its SQL is fixed
    if template != "query.html" or database not in datasette.databases or canned:
        return found

    async def with_schema():
        db = datasette.databases[database]
        hidden = set(await db.hidden_table_names())
        tables = [name for name in await db.table_names() if name not in hidden]
        return {**found, "sql_schema": [{"name": name, "kind": kind, "columns": await db.table_columns(name)}
                                        for kind, names in (("table", tables), ("view", await db.view_names()))
                                        for name in sorted(names)]}

    return with_schema


async def databases(datasette, request):
    data = [{key: getattr(db, key) for key in PUBLIC} for db in datasette.databases.values() if db.name != "_internal"]
    if request.url_vars.get("format"):
        return Response.json(data)
    return Response.html(await datasette.render_template(
        "show_json.html", {"filename": "databases.json", "data_json": json.dumps(data, indent=4)}, request=request))


@hookimpl
def register_routes():
    return [(r"^/-/databases(?P<format>\.json)?$", databases)]  # plugin routes are matched before Datasette's own


@hookimpl
def prepare_jinja2_environment(env):
    """Templates copied from Datasette (templates/datasette-<version>/) rely on its variables: used on that version."""
    folder = TEMPLATES / f"datasette-{datasette.__version__}"
    if not folder.is_dir():
        others = ", ".join(sorted(path.name for path in TEMPLATES.glob("datasette-*")))
        print(f"conscience: Datasette {datasette.__version__} is installed; the templates copied from other versions "
              f"({others}) step aside and Datasette's own are used", file=sys.stderr)
        return
    env.loader = ChoiceLoader([FileSystemLoader(str(folder)), env.loader])


@hookimpl
def startup():
    # Datasette 0.65.5 prints every error's traceback, with each frame's locals, through rich whenever it can import
    # it (frictionless brings it): 0.73 s per 404 page against 12 ms, and any visitor can ask for those in a loop.
    if not APPLIES:
        print(f"conscience: plugins/instance.py was written for Datasette {WRITTEN_FOR}, not {datasette.__version__}: "
              "it steps aside, and errors' tracebacks are printed if rich is installed", file=sys.stderr)
    else:
        handle_exception.rich = None
    # Full collections during requests walked every object startup made: frozen, a persons page's p95 81 -> 61 ms.
    gc.collect()
    gc.freeze()
