"""Checks across tables before anything is written: unique keys, known references."""

from .schema import TABLES
from .stage import pk_columns

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


def check_keys(stage, names=tuple(TABLES)):
    """Unique keys in the named tables; run on the rows as read too, before anything merges them."""
    for name in names:
        table = TABLES[name]
        key = ", ".join(f"[{c}]" for c in pk_columns(table))
        # The first row (in the order rows were read) whose key an earlier row already has.
        duplicate = stage.conn.execute(f"""
            SELECT min(later.rowid), first.rowid FROM (
                SELECT {key}, min(rowid) AS rowid FROM [{name}] GROUP BY {key} HAVING count(*) > 1
            ) AS first JOIN [{name}] AS later USING ({key}) WHERE later.rowid > first.rowid""").fetchone()
        if duplicate[0] is not None:
            raise duplicate_error(stage, table, *duplicate)


def duplicate_error(stage, table, rowid, first_rowid):
    columns = pk_columns(table)
    values = stage.conn.execute(f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM [{table.name}] WHERE rowid = ?",
                                (rowid,)).fetchone()
    first = stage.origin_of(table.name, first_rowid)
    return stage.origin_of(table.name, rowid).error(
        "/".join(columns), "/".join(map(str, values)), f"duplicate {table.name} id (first defined in {first.where()})",
        "Give each row its own id.")


def validate(stage):
    check_keys(stage)
    for name, table in TABLES.items():
        # Derived columns are built from checked values; checking those names the line a maintainer wrote.
        references = [c for c in table.columns if c.references and not c.derived]
        problems = [first_unknown_reference(stage, table, column) for column in references]
        problems.append(first_unknown_source(stage, table) if table.provenance else None)
        problems = [problem for problem in problems if problem]
        if problems:
            rowid, error = min(problems, key=lambda problem: problem[0])
            raise error(stage.origin_of(name, rowid))
    subject_check(stage)


def first_unknown_reference(stage, table, column):
    """(rowid, error for an origin) of the first row whose reference points nowhere, or None."""
    target = TABLES[column.references]
    known = f"SELECT [{pk_columns(target)[0]}] FROM [{target.name}]"
    if column.kind == "list":
        sql = (f"SELECT t.rowid, item.value FROM [{table.name}] AS t, json_each(t.[{column.name}]) AS item "
               f"WHERE item.value NOT IN ({known}) ORDER BY t.rowid LIMIT 1")
    else:
        sql = (f"SELECT rowid, [{column.name}] FROM [{table.name}] WHERE [{column.name}] IS NOT NULL "
               f"AND [{column.name}] NOT IN ({known}) "
               "ORDER BY rowid LIMIT 1")
    found = stage.conn.execute(sql).fetchone()
    if not found:
        return None
    fix = FIX_FOR_TABLE.get(column.references, f"Use the id of a row in the {column.references} table.")
    return found[0], lambda origin: origin.error(column.name, found[1], f"not found in the {column.references} table",
                                                 fix)


def first_unknown_source(stage, table):
    found = stage.conn.execute(f"SELECT rowid, source_id FROM [{table.name}] WHERE source_id IS NULL "
                               "OR source_id NOT IN (SELECT id FROM sources) ORDER BY rowid LIMIT 1").fetchone()
    if not found:
        return None
    return found[0], lambda origin: origin.error("source_id", found[1], "unknown source", "Add raw/<source>/source.yml.")


def subject_check(stage):
    """Events and reprisals must be about someone."""
    for name, columns, problem, fix in (
        ("events", ("person_id", "organization_id", "case_id"), "the event is about nobody",
         "Fill person_id, organization_id or case_id."),
        ("reprisals", ("person_id", "organization_id"), "the reprisal targets nobody",
         "Fill person_id or organization_id."),
    ):
        nobody = " AND ".join(f"ifnull([{c}], '') = ''" for c in columns)
        found = stage.conn.execute(f"SELECT rowid FROM [{name}] WHERE {nobody} ORDER BY rowid LIMIT 1").fetchone()
        if found:
            raise stage.origin_of(name, found[0]).error("person_id", None, problem, fix)
