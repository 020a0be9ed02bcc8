"""Adapter for curated sources: a folder of CSV files, one per target table.

A file's name is the table it fills (persons.csv -> persons) and its columns are that
table's columns as declared in schema.py, so adding a curated list needs no Python.
Two extra columns are read: source_line (the line of the archived document stating
the fact, required) and name_as_written (the name exactly as the source spells it).
"""

import json

from .adapters.common import json_list
from .errors import BuildError
from .rawfiles import display_path, parse_date, read_csv, split_list
from .schema import CURATED_TABLES, TABLES

EXTRA_COLUMNS = ("source_line", "name_as_written")


def input_columns(table):
    return [c for c in table.columns if not c.derived]


def read_curated_source(folder, meta):
    """Return {table: [(origin, row)]} for every <table>.csv in the folder."""
    for path in sorted(folder.glob("*.csv")):
        if path.stem not in CURATED_TABLES:
            raise BuildError(display_path(path), None, None, None, f"'{path.stem}' is not a table a source can fill",
                             f"Name the file after one of: {', '.join(CURATED_TABLES)}.")
    out = {}
    for table_name in CURATED_TABLES:
        path = folder / f"{table_name}.csv"
        if path.exists():
            out[table_name] = list(read_table(path, TABLES[table_name], meta))
    if "persons" in out:
        for _, person in out["persons"]:
            person["_record"] = (meta["id"], person["id"])  # a curated person's upstream id is its own id
        out["records"] = [(origin, person_record(meta["id"], row)) for origin, row in out["persons"]]
    return out


def read_table(path, table, meta=None):
    """Rows of one CSV file as rows of `table`; reference tables (no provenance) need no meta."""
    columns = input_columns(table)
    required = [c.name for c in columns if c.required] + (["source_line"] if table.provenance else [])
    rows = read_csv(path, required=required)
    known = {c.name for c in columns} | set(EXTRA_COLUMNS)
    for position, (origin, raw) in enumerate(rows, start=1):
        if position == 1:
            unknown = [name for name in raw if name not in known]
            if unknown:
                raise origin.error(unknown[0], None, f"'{unknown[0]}' is not a column of the {table.name} table",
                                   f"Use the columns listed for {table.name} in README's schema section.")
        row = convert_row(origin, raw, columns)
        if table.provenance:
            row["source_id"] = meta["id"]
            row["upstream_ref"] = upstream_ref(origin, raw["source_line"])
        if table.name == "signatures":
            row.update(position=position, organization_id=None)
        if "name_as_written" in raw:
            row["_name_as_written"] = raw["name_as_written"] or None
        row["_raw"] = raw
        yield origin, row


def convert_row(origin, raw, columns):
    row = {}
    for column in columns:
        value = raw.get(column.name)
        value = value if value is None else value.strip()
        if column.required and not value:
            raise origin.error(column.name, value, "a required value is empty", "Fill it in from the source.")
        if column.kind == "date":
            row[column.name], row[column.name + "_precision"] = parse_date(origin, column.name, value)
        elif column.kind == "list":
            row[column.name] = json_list(split_list(value))
        elif column.kind in ("integer", "real") and value:
            try:
                row[column.name] = int(value) if column.kind == "integer" else float(value)
            except ValueError:
                raise origin.error(column.name, value, f"not a{'n integer' if column.kind == 'integer' else ' number'}",
                                   "Write digits only, or leave it empty if the source gives no figure.") from None
        else:
            row[column.name] = value or None
    return row


def upstream_ref(origin, source_line):
    lines = split_list(source_line)
    if not lines or not all(line.isdigit() for line in lines):
        raise origin.error("source_line", source_line, "not a line number (or ';'-separated line numbers)",
                           "Give the line(s) of the archived source document that state this fact.")
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(lines)


def person_record(source_id, person):
    """The records row tying a person to the source line that names them."""
    return {
        "id": f"{source_id}/{person['id']}",
        "upstream_id": person["id"],
        "person_id": person["id"],
        "name_as_written": person.get("_name_as_written") or person["name"],
        "url": None,
        "raw": json.dumps(person["_raw"], ensure_ascii=False),
        "source_id": source_id,
        "upstream_ref": person["upstream_ref"],
    }
