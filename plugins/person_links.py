"""In table and search results, a person's name links to their page (/person/<id>)."""

from datasette import hookimpl
from markupsafe import Markup

# table -> (column holding the name, column holding the person's id)
NAME_COLUMNS = {
    "persons": ("name", "id"),
    "persons_map": ("name", "id"),
    "person_charges": ("person_name", "person_id"),
}


@hookimpl
def render_cell(row, value, column, table):
    name_column, id_column = NAME_COLUMNS.get(table, (None, None))
    if column != name_column or value is None:
        return None
    return Markup('<a href="/person/{}">{}</a>').format(row[id_column], value)  # format() escapes both
