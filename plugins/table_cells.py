"""Table rows rendered one call per row, with persons' names linked to their pages.

A persons page of 100 rows x 27 columns has 2,700 cells, and Jinja spent as long on each as Datasette spends
finding its value. The markup is that of Datasette's _table.html (templates/_table.html uses this filter);
every value is escaped unless it is already markup. Column classes come escaped, once per column; a cell's
value_type is the name of a Python type, set by Datasette.

Names link to /person/<id> here rather than through Datasette's render_cell hook: Datasette calls that hook
for every cell of every table, about 4 ms of a persons page, to change one column in three tables. The links
show wherever the table markup does: table, view and row pages, search results.
"""

from datasette import hookimpl
from markupsafe import Markup, escape

# table or view -> (column holding a person's name, column holding their id)
NAME_COLUMNS = {
    "persons": ("name", "id"),
    "persons_map": ("name", "id"),
    "person_charges": ("person_name", "person_id"),
}
PERSON_LINK = Markup('<a href="/person/{}">{}</a>')


def table_cells(row, column_classes, table=None):
    """A row's <td> cells; column_classes holds each column's escaped CSS class, worked out once per table."""
    values = [cell["value"] for cell in row]
    if table in NAME_COLUMNS:
        link_person_name(row, values, *NAME_COLUMNS[table])
    return Markup("\n".join(
        f'<td class="col-{css} type-{cell["value_type"]}">{escape(value)}</td>'
        for css, cell, value in zip(column_classes, row, values, strict=True)))


def link_person_name(row, values, name_column, id_column):
    raw = {cell["column"]: cell["raw"] for cell in row}
    if raw.get(name_column) is None or raw.get(id_column) is None:
        return
    name_index = next(index for index, cell in enumerate(row) if cell["column"] == name_column)
    values[name_index] = PERSON_LINK.format(raw[id_column], raw[name_column])  # format() escapes both


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["table_cells"] = table_cells
