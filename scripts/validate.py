"""Checks across tables before anything is written: unique keys, known references."""

import json

from .schema import TABLES

# What to tell a maintainer when a reference points nowhere.
FIX_FOR_TABLE = {
    "countries": "Use an ISO 3166-1 alpha-2 country code, such as VN or CN.",
    "charges": "Use an id from raw/reference/charges.csv, or add the statute there first.",
    "statuses": "Use one of the statuses in raw/reference/statuses.csv.",
    "categories": "Use categories from raw/reference/categories.csv, separated by ';'.",
    "event_types": "Use an event type from raw/reference/event_types.csv.",
    "reprisal_types": "Use reprisal types from raw/reference/reprisal_types.csv, separated by ';'.",
    "un_mechanisms": "Use ids from raw/reference/un_mechanisms.csv, separated by ';'.",
    "metrics": "Use a metric from raw/reference/metrics.csv, or add it there first.",
}


def key_of(table, row):
    pk = table.pk if isinstance(table.pk, tuple) else (table.pk,)
    return tuple(row[column] for column in pk)


def check_keys(tables, names=tuple(TABLES)):
    """Unique keys in the named tables; run on the rows as read too, before anything merges them."""
    return {name: unique_keys(TABLES[name], tables[name]) for name in names}


def validate(tables):
    keys = check_keys(tables)
    for name, table in TABLES.items():
        # Derived columns are built from checked values; checking those names the line a maintainer wrote.
        references = [c for c in table.columns if c.references and not c.derived]
        for origin, row in tables[name]:
            for column in references:
                check_reference(origin, row, column, keys[column.references])
            if table.provenance and (row["source_id"],) not in keys["sources"]:
                raise origin.error("source_id", row["source_id"], "unknown source", "Add raw/<source>/source.yml.")
    subject_check(tables)


def unique_keys(table, rows):
    seen = {}
    for origin, row in rows:
        key = key_of(table, row)
        if key in seen:
            first = seen[key]
            raise origin.error(
                "/".join(table.pk) if isinstance(table.pk, tuple) else table.pk, "/".join(map(str, key)),
                f"duplicate {table.name} id (first defined in {first.where()})",
                "Give each row its own id.",
            )
        seen[key] = origin
    return seen


def check_reference(origin, row, column, targets):
    value = row.get(column.name)
    if value is None:
        return
    items = json.loads(value) if column.kind == "list" else [value]
    for item in items:
        if (item,) not in targets:
            fix = FIX_FOR_TABLE.get(column.references, f"Use the id of a row in the {column.references} table.")
            raise origin.error(column.name, item, f"not found in the {column.references} table", fix)


def subject_check(tables):
    """Events and reprisals must be about someone."""
    for origin, row in tables["events"]:
        if not (row["person_id"] or row["organization_id"] or row["case_id"]):
            raise origin.error("person_id", None, "the event is about nobody",
                               "Fill person_id, organization_id or case_id.")
    for origin, row in tables["reprisals"]:
        if not (row["person_id"] or row["organization_id"]):
            raise origin.error("person_id", None, "the reprisal targets nobody",
                               "Fill person_id or organization_id.")
