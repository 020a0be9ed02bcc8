"""Checks across tables before anything is written: unique keys, known references, the counts each list must give."""

from contextlib import closing

from scripts.schema import REFERENCE_TABLES, TABLES, pk_columns
from scripts.stage import Stage

FIX_FOR_TABLE = {"countries": "Use an ISO 3166-1 alpha-2 country code, such as VN or CN.", **{
    name: f"Use an id from raw/reference/{name}.csv, or add it there first." for name in REFERENCE_TABLES}}


def check_keys(stage, names=tuple(TABLES)):
    """Unique keys in the named tables; run on the rows as read too, before anything merges them."""
    for name in names:
        columns = pk_columns(TABLES[name])
        key = ", ".join(f"[{c}]" for c in columns)
        # The first row (in the order rows were read) whose key an earlier row already has.
        rowid, first, *values = stage.conn.execute(f"""
            SELECT min(later.rowid), first.rowid, {', '.join(f'first.[{c}]' for c in columns)} FROM (
                SELECT {key}, min(rowid) AS rowid FROM [{name}] GROUP BY {key} HAVING count(*) > 1
            ) AS first JOIN [{name}] AS later USING ({key}) WHERE later.rowid > first.rowid""").fetchone()
        if rowid is not None:
            first = stage.origin_of(name, first).where()
            raise stage.origin_of(name, rowid).error("/".join(columns), "/".join(map(str, values)),
                                                     f"duplicate {name} id (first defined in {first})",
                                                     "Give each row its own id.")


def validate_staged(path):
    stage = Stage(path, fresh=False)
    with closing(stage.conn):  # not stage.close(): the file is the build's
        validate(stage)


def validate(stage):
    check_keys(stage)
    for name, table in TABLES.items():
        # Derived columns are built from checked values; checking those names the line a maintainer wrote.
        problems = []
        for column in (c for c in table.columns if c.references and not c.derived):
            found = first_unknown(stage, name, column.name, column.references, is_list=column.kind == "list")
            fix = FIX_FOR_TABLE.get(column.references, f"Use the id of a row in the {column.references} table.") + (
                " Separate several with ';'." if column.kind == "list" else "")
            problems.append(found and (*found, column.name, f"not found in the {column.references} table", fix))
        if table.provenance:
            found = first_unknown(stage, name, "source_id", "sources", required=True)
            problems.append(found and (*found, "source_id", "unknown source", "Add raw/<source>/source.yml."))
        if any(problems):  # the first row at fault, and in it the first column
            rowid, value, field, problem, fix = min(filter(None, problems), key=lambda problem: problem[0])
            raise stage.origin_of(name, rowid).error(field, value, problem, fix)
    subject_check(stage)


def first_unknown(stage, name, column, target, is_list=False, required=False):
    """(rowid, value) of the table's first row whose `column` names no row of `target`, or None."""
    known = f"SELECT [{pk_columns(TABLES[target])[0]}] FROM [{target}]"
    if is_list:
        sql = (f"SELECT t.rowid, item.value FROM [{name}] AS t, json_each(t.[{column}]) AS item "
               f"WHERE item.value NOT IN ({known}) ORDER BY t.rowid LIMIT 1")
    else:
        missing = f"[{column}] IS NULL OR" if required else f"[{column}] IS NOT NULL AND"
        sql = (f"SELECT rowid, [{column}] FROM [{name}] WHERE ({missing} [{column}] NOT IN ({known})) "
               "ORDER BY rowid LIMIT 1")
    return stage.conn.execute(sql).fetchone()


def subject_check(stage):
    for name, columns, problem, fix in (
        ("events", ("person_id", "organization_id", "case_id"), "the event is about nobody",
         "Fill person_id, organization_id or case_id."),
        ("reprisals", ("person_id", "organization_id"), "the reprisal targets nobody",
         "Fill person_id or organization_id."),
    ):
        nobody = " AND ".join(f"ifnull([{c}], '') = ''" for c in columns)
        if found := stage.conn.execute(f"SELECT rowid FROM [{name}] WHERE {nobody} ORDER BY rowid LIMIT 1").fetchone():
            raise stage.origin_of(name, found[0]).error("person_id", None, problem, fix)


def check_assertions(stage, origin, meta):
    """source.yml's `assertions:` (as OpenSanctions' datasets state theirs) against the rows staged before merging: a
    table's rows (`records: 10271`) or by a column's value (`persons: {sex: {female: 2510}}`; `null` for none)."""
    for table, expected in (meta.get("assertions") or {}).items():
        if table not in TABLES or not TABLES[table].provenance:
            raise origin.error(f"assertions.{table}", table, "not a table a list fills",
                               "Name a table of docs/schema.md, such as records, persons or detentions.")
        counts = {(None, None): expected} if isinstance(expected, int) else {
            (column, value): count for column, values in expected.items() for value, count in values.items()}
        for (column, value), count in counts.items():
            if column is not None and column not in stage.public[table]:
                raise origin.error(f"assertions.{table}.{column}", column, f"not a column of {table}",
                                   f"Use one of: {', '.join(stage.public[table])}.")
            where = "" if column is None else f" AND [{column}] IS ?"
            (found,) = stage.conn.execute(f"SELECT count(*) FROM [{table}] WHERE source_id = ?{where}",
                                          (meta["id"], *([] if column is None else [value]))).fetchone()
            if found != count:
                field = ".".join(str(part) for part in ("assertions", table, column, value) if part is not None)
                raise origin.error(field, count, f"the list gives {found:,}",
                                   "If the upstream file changed, review it, then update the figure; if the mapping "
                                   "changed, check what it now reads.")
