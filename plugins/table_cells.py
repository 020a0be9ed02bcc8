"""Table rows rendered one call per row, with persons' names linked to their pages.

A persons page of 100 rows x 27 columns has 2,700 cells, and Jinja spent as long on each as Datasette spends
finding its value. The markup is that of Datasette's _table.html (templates/_table.html uses this filter);
every value is escaped unless it is already markup. Column classes come escaped, once per column; a cell's
value_type is the name of a Python type, set by Datasette.

Names link to /person/<id> (under Datasette's base_url) here rather than through Datasette's render_cell hook: Datasette calls that hook
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

def person_link_columns(columns, table, person_pages):
    """(position of the name, position of the person's id, the person pages' path: "/person/" under Datasette's
    base_url) among a page's columns, when its names link to persons."""
    names = [column["name"] for column in columns]
    name_column, id_column = NAME_COLUMNS.get(table, (None, None))
    if name_column in names and id_column in names:
        return names.index(name_column), names.index(id_column), person_pages
    return None


def table_cells(row, column_classes, person_link=None, translate=None):
    """A row's <td> cells; column classes (escaped) and the person_link_columns are worked out once per page.
    `translate` (plugins/i18n.py's cell_translator, for a language other than English) rewrites the values."""
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
    env.filters["table_cells"] = table_cells
    env.filters["person_link_columns"] = person_link_columns
