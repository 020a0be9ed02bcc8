"""The last stage: the staged tables copied into the database file, with indexes, full-text indexes and views,
checked, then renamed into place (a failed write leaves the previous file as it was)."""

import os
from pathlib import Path

import sqlite_utils

from scripts.schema import TABLES, foreign_keys, pk_columns, stored_columns
from scripts.write.fulltext import indexes_alongside
from scripts.write.views import VIEWS

# Records carry their upstream row (about 1 KB): on 4 KiB pages the write takes a third longer at 1M persons.
# Larger pages cost reads that touch scattered rows (a search's count at 32 KiB took twice as long), so not larger.
PAGE_SIZE = 16_384


def write(stage, out, before_rename=lambda path: None):
    """Copy every table from the stage to `out` in key order, with indexes, full-text indexes and views, atomically."""
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        with indexes_alongside(stage.path, out.with_name(out.name + ".fts")) as copy_full_text_indexes:
            db = sqlite_utils.Database(tmp)
            # No journal and no syncing while a file nobody reads yet is written; it is synced once, before the rename.
            for pragma in (f"page_size = {PAGE_SIZE}", "journal_mode = OFF", "synchronous = OFF"):
                db.execute(f"PRAGMA {pragma}")
            db.execute("ATTACH DATABASE ? AS stage", [str(stage.path)])
            for table in TABLES.values():
                create_table(db, table)
            db.execute("DETACH DATABASE stage")
            copy_full_text_indexes(db)
        for name, sql in VIEWS.items():
            db.create_view(name, sql.strip())
        db.close()
        before_rename(tmp)
        synced(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def synced(path):
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def create_table(db, table):
    columns = dict(stored_columns(table))
    required = {c.name for c in table.columns if c.required}
    if table.provenance:
        required |= {"source_id", "upstream_ref"}
    db[table.name].create(columns, pk=table.pk, foreign_keys=foreign_keys(table), not_null=required)
    names = ", ".join(f"[{n}]" for n in columns)
    order = ", ".join(f"[{c}]" for c in pk_columns(table))
    db.execute(f"INSERT INTO main.[{table.name}] ({names}) SELECT {names} FROM stage.[{table.name}] ORDER BY {order}")
    db.conn.commit()
    for column in table.indexes:
        db[table.name].create_index([column])
    # Checked and measured table by table, while the full-text indexes and the checks are made alongside.
    problems = db.execute(f"PRAGMA foreign_key_check([{table.name}])").fetchall()
    if problems:
        raise RuntimeError(f"foreign key check failed: {problems[:5]}")
    db.execute(f"ANALYZE [{table.name}]")  # statistics let SQLite choose, say, the name index for a filtered page sorted by name
