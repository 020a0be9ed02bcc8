"""Datasette 0.65.5's table view, faster and exact (docs/building.md, "The server"; docs/performance.md): cells worked
out without asking render_cell about each, a row's <td> cells written by one call (datasette-0.65.5/_table.html),
persons' names linked to their pages; a sorted table's first page asked as the page after a key sorting before every
row (no hook reaches the ORDER BY); a searched persons table's unsorted one-page JSON in `search`'s order.
One file: each part replaces a piece of the same table view, under one version check.
"""

import sys

import datasette
from datasette import hookimpl
from markupsafe import Markup, escape

WRITTEN_FOR = "0.65.5"
APPLIES = datasette.__version__ == WRITTEN_FOR
if APPLIES:  # Datasette's internals, as they are in that version (Datasette 1.0 has no TableView.data)
    import datasette.views.table as table_view
    from datasette.plugins import pm
    from datasette.utils import CustomRow, is_url, path_from_row_pks, tilde_decode, tilde_encode, truncate_url
    from datasette.views.table import TableView

    # Datasette's own functions, even when this file is loaded again for a second Datasette in the same process
    datasettes_display = getattr(table_view.display_columns_and_rows, "__wrapped__",
                                 table_view.display_columns_and_rows)
    datasettes_data = getattr(TableView.data, "__wrapped__", TableView.data)
EMPTY = Markup("&nbsp;")
URL_STARTS = ("http://", "https://")  # is_url's first test, made here before the call
NUMERIC = ("INT", "REAL", "FLOA", "DOUB", "NUM", "DEC")
BEFORE_ANY_NUMBER = "-9e999"  # SQLite reads it as -infinity against a numeric column
BEFORE_ANY_TEXT = ""  # primary keys are never empty
AFTER_ANY_VALUE = "\U0010ffff"  # sorts after every number and every text (as UTF-8 bytes)
RANKED_TABLE = "persons"  # the table the canned query `search` ranks


async def display_columns_and_rows(datasette, database_name, table_name, description, rows, link_column=False,
                                   truncate_cells=0, sortable_columns=None):
    arguments = (datasette, database_name, table_name, description)
    options = {"link_column": link_column, "truncate_cells": truncate_cells, "sortable_columns": sortable_columns}
    names = [column[0] for column in description]
    # a row with labelled foreign keys is a CustomRow, whose own iteration looks up each column twice
    values = [list(map(row.get, names)) if isinstance(row, CustomRow) else list(row) for row in rows]
    if (pm.hook.render_cell.get_hookimpls() or datasette.table_metadata(database_name, table_name).get("units")
            or bytes in {type(value) for row_values in values for value in row_values}):
        return await datasettes_display(*arguments, rows, **options)
    columns, _ = await datasettes_display(*arguments, [], **options)
    db = datasette.databases[database_name]
    pks = await db.primary_keys(table_name)
    linked_tables = {fk["column"]: fk["other_table"] for fk in await db.foreign_keys_for_table(table_name)}
    table_path = datasette.urls.table(database_name, table_name)
    shown_in_link = pks[0] if link_column and len(pks) == 1 else None

    links = {}  # a page shows the same few countries, statuses and sources again and again

    def foreign_key_link(column, value, label):
        key = (column, type(value), value, label)  # the type too: 1 and 1.0 are equal keys but show differently
        if key not in links:
            template = table_view.LINK_WITH_LABEL if label != value else table_view.LINK_WITH_VALUE
            links[key] = Markup(template.format(
                database=database_name, base_url=datasette.setting("base_url"),
                table=tilde_encode(linked_tables[column]), link_id=tilde_encode(str(value)), id=str(escape(value)),
                label=str(escape(label)) or "-"))
        return links[key]

    def cells(row, row_values):
        if link_column:
            pk_path = path_from_row_pks(row, pks, not pks, False)
            href = tilde_encode(pk_path) if len(pks) <= 1 else path_from_row_pks(row, pks, not pks)  # one key: encoded
            yield {"column": pks[0] if len(pks) == 1 else "Link", "value_type": "pk",
                   "is_special_link_column": len(pks) != 1, "raw": pk_path,
                   "value": Markup(f'<a href="{table_path}/{href}">{escape(pk_path)}</a>')}
        for value, column in zip(row_values, names, strict=True):
            if column == shown_in_link:
                continue
            if isinstance(value, dict):  # a foreign key with its label
                label, value = value["label"], value["value"]
                shown = foreign_key_link(column, value, label)
            elif value in ("", None):
                shown = EMPTY
            elif isinstance(value, str) and value.lstrip().startswith(URL_STARTS) and is_url(value.strip()):
                url = value.strip()
                shown = Markup(f'<a href="{escape(url)}">{escape(truncate_url(url, truncate_cells))}</a>')
            else:
                shown = str(value)
                if truncate_cells and len(shown) > truncate_cells:
                    shown = shown[:truncate_cells] + "\u2026"
            yield {"column": column, "value": shown, "raw": value,
                   "value_type": "none" if value is None else type(value).__name__}

    return columns, [table_view.Row(list(cells(row, row_values))) for row, row_values in zip(rows, values, strict=True)]


async def data(self, request, default_labels=False, _next=None, _size=None):
    if _next is None and not request.args.get("_next"):
        _next = await start_key(self.ds, request)
    answer = await datasettes_data(self, request, default_labels, _next, _size)
    args = request.args  # a searched persons table's JSON asking for no sort and no later page
    ranked = (request.url_vars.get("format") == "json" and request.url_vars.get("table") == RANKED_TABLE
              and args.get("_search") and not any(key in args for key in ("_sort", "_sort_desc", "_next")))
    if ranked and isinstance(answer, tuple) and not answer[0].get("next"):
        await best_first(self.ds, answer[0], request.args["_search"])
    return answer


async def best_first(ds, data, query):
    """The page's rows in the order the canned query `search` ranks them (any it does not rank last, as they were)."""
    database = ds.get_database(data["database"])
    sql = (await ds.get_canned_query(database.name, "search", None))["sql"]
    ranked = {row["id"]: rank for rank, row in enumerate((await database.execute(sql, {"q": query})).rows)}
    data["rows"] = sorted(data["rows"], key=lambda row: ranked.get(row["id"], len(ranked)))


async def start_key(ds, request):
    """The keyset token of the start of a sorted table's order, or None where no token is needed."""
    database, table = (tilde_decode(request.url_vars[key]) for key in ("database", "table"))
    try:
        db = ds.get_database(route=database)
    except KeyError:
        return None
    metadata = ds.table_metadata(db.name, table)
    sort, sort_desc = request.args.get("_sort"), request.args.get("_sort_desc")
    if not sort and not sort_desc:
        sort, sort_desc = metadata.get("sort"), metadata.get("sort_desc")
    if not (sort or sort_desc) or (sort and sort_desc) or "_sort_by_desc" in request.args:
        return None  # unsorted (ordered by key), or a request Datasette answers with an error or a redirect
    if await ds.get_canned_query(db.name, table, request.actor) or not await db.table_exists(table):
        return None  # a query, or a view (views page by offset)
    pks = await db.primary_keys(table) or ["rowid"]
    if pks == [sort or sort_desc]:
        return None  # sorted by its key: no ties
    types = {column.name: column.type.upper() for column in await db.table_column_details(table)}
    before = [BEFORE_ANY_NUMBER if pk == "rowid" or types.get(pk, "").startswith(NUMERIC) else BEFORE_ANY_TEXT
              for pk in pks]
    # Ascending, NULLs first: "$null" and keys before every key take all; descending: a value after every value does.
    return ",".join(["$null" if sort else tilde_encode(AFTER_ANY_VALUE), *before])


@hookimpl
def startup():
    if not APPLIES:
        print(f"conscience: plugins/table_view.py was written for Datasette {WRITTEN_FOR}, not "
              f"{datasette.__version__}: it steps aside; Datasette's own display_columns_and_rows works out table "
              "cells, and sorted tables page as Datasette pages them (check that rows that tie are sent once)",
              file=sys.stderr)
        return
    display_columns_and_rows.__wrapped__ = datasettes_display
    table_view.display_columns_and_rows = display_columns_and_rows  # what the table view calls
    data.__wrapped__ = datasettes_data
    TableView.data = data


NAME_COLUMNS = {"persons": ("name", "id"), "persons_map": ("name", "id"),
                "person_charges": ("person_name", "person_id")}


def person_link_columns(columns, table, person_pages):
    """(position of the name column, of the person's id column, the person pages' path) when a table's names link."""
    names = [column["name"] for column in columns]
    name_column, id_column = NAME_COLUMNS.get(table, (None, None))
    if name_column in names and id_column in names:
        return names.index(name_column), names.index(id_column), person_pages
    return None


def table_cells(row, column_classes, person_link=None, translate=None):
    """A row's <td> cells: column classes, person_link_columns and i18n's `translate` worked out once per page."""
    cells = list(row)
    values = [cell["value"] for cell in cells]
    if person_link:
        name_at, id_at, person_pages = person_link
        name, person_id = cells[name_at]["raw"], cells[id_at]["raw"]
        if name is not None and person_id is not None:
            values[name_at] = Markup(f'<a href="{escape(person_pages)}{escape(person_id)}">{escape(name)}</a>')
    if translate:
        values = translate(cells, values)
    return Markup("\n".join([
        f'<td class="col-{css} type-{cell["value_type"]}">{value if isinstance(value, Markup) else escape(value)}</td>'
        for css, cell, value in zip(column_classes, cells, values, strict=True)]))


@hookimpl
def prepare_jinja2_environment(env):
    env.filters.update(table_cells=table_cells, person_link_columns=person_link_columns)
