"""The schema beside the SQL editor: the SQL page (Datasette's query.html, editable) lists every table and view of
the database with its columns, each table linked to its page, so that a query can be written without leaving it.
Read through Datasette's own Database methods (remembered by immutable.py), hidden tables left out."""

from datasette import hookimpl


@hookimpl
def extra_template_vars(template, database, request, datasette):
    canned = request is not None and request.url_vars.get("table")  # a canned query's page: its SQL is fixed
    if template != "query.html" or database not in datasette.databases or canned:
        return {}

    async def inner():
        db = datasette.databases[database]
        hidden = set(await db.hidden_table_names())
        tables = [name for name in await db.table_names() if name not in hidden]
        return {"sql_schema": [{"name": name, "kind": kind, "columns": await db.table_columns(name)}
                               for kind, names in (("table", tables), ("view", await db.view_names()))
                               for name in sorted(names)]}

    return inner
