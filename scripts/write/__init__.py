"""The last stage: the staged tables copied into the database file, with indexes, full-text indexes and views,
checked, then renamed into place (a failed write leaves the previous file as it was).

Indexing a million persons takes a third as long as the copying, each a core's work: a second process writes the
contentless FTS5 indexes into a file of their own meanwhile, whose tables are then copied in as they are. An index's
rowids are its table's: the tables are written in key order into fresh tables (rowid = rank by key)."""

import os
from pathlib import Path

import sqlite_utils

from scripts.common import unspaced_substrings
from scripts.schema import TABLES, all_columns, foreign_keys, pk_columns, stored_columns
from scripts.stage.parallel import in_background
from scripts.write.views import VIEWS, WRITTEN_AS_TABLES

# Records carry their upstream row (about 1 KB): on 4 KiB pages the write takes a third longer at 1M persons.
# Larger pages cost reads that touch scattered rows (a search's count at 32 KiB took twice as long), so not larger.
PAGE_SIZE = 16_384
INDEXED = [table for table in TABLES.values() if table.fts]


def write(stage, out, before_rename=lambda path: None):
    """Copy every table from the stage to `out` in key order, with indexes, full-text indexes and views, atomically."""
    out = Path(out)
    tmp, fulltext = out.with_name(out.name + ".tmp"), out.with_name(out.name + ".fts")
    for old in (tmp, fulltext):
        old.unlink(missing_ok=True)
    try:
        with in_background(write_indexes, stage.path, fulltext) as indexed:
            db = sqlite_utils.Database(tmp)
            # No journal and no syncing while a file nobody reads yet is written; it is synced once, before the rename.
            for pragma in (f"page_size = {PAGE_SIZE}", "journal_mode = OFF", "synchronous = OFF"):
                db.execute(f"PRAGMA {pragma}")
            db.execute("ATTACH DATABASE ? AS stage", [str(stage.path)])
            for table in TABLES.values():
                create_table(db, table)
            db.execute("DETACH DATABASE stage")
            indexed()
            copy_indexes(db, fulltext)
        for name, sql in VIEWS.items():
            create_view(db, name, sql.strip())
        db.close()
        before_rename(tmp)
        with open(tmp, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(tmp, out)
    finally:  # once the second process has stopped: it could otherwise write its file again
        for leftover in (tmp, fulltext, fulltext.with_name(fulltext.name + "-journal")):
            leftover.unlink(missing_ok=True)


def create_view(db, name, sql):
    if name not in WRITTEN_AS_TABLES:
        return db.create_view(name, sql)
    db.execute(f"CREATE TABLE [{name}] AS {sql}")
    for number, columns in enumerate(WRITTEN_AS_TABLES[name], start=1):
        db.execute(f"CREATE INDEX [idx_{name}_{number}] ON [{name}] ({columns})")
    db.execute(f"ANALYZE [{name}]")
    db.conn.commit()


def create_table(db, table):
    columns = dict(stored_columns(table))
    required = {c.name for c in all_columns(table) if c.required}
    db[table.name].create(columns, pk=table.pk, foreign_keys=foreign_keys(table), not_null=required)
    names = ", ".join(f"[{n}]" for n in columns)
    order = ", ".join(f"[{c}]" for c in pk_columns(table))
    db.execute(f"INSERT INTO main.[{table.name}] ({names}) SELECT {names} FROM stage.[{table.name}] ORDER BY {order}")
    db.conn.commit()
    for column in table.indexes:
        db[table.name].create_index([column])
    # Checked and measured table by table, while the full-text indexes and the checks are made alongside.
    if problems := db.execute(f"PRAGMA foreign_key_check([{table.name}])").fetchall():
        raise RuntimeError(f"foreign key check failed: {problems[:5]}")
    db.execute(f"ANALYZE [{table.name}]")  # statistics let SQLite choose, say, the name index for a filtered page sorted by name


def write_indexes(stage_path, path):
    """Every indexed table's full-text index, in `path`, from the staged rows ranked by key."""
    db = sqlite_utils.Database(path)
    db.execute("ATTACH DATABASE ? AS stage", [str(stage_path)])
    for table in INDEXED:
        create_index_table(db, table)
        key = ", ".join(f"[{c}]" for c in pk_columns(table))
        rows = db.execute(f"SELECT row_number() OVER (ORDER BY {key}), {', '.join(table.fts)} "
                          f"FROM stage.[{table.name}] ORDER BY {key}")
        columns = [*table.fts, "unspaced"]
        db.conn.executemany(
            f"INSERT INTO main.[{table.name}_fts] (rowid, {', '.join(columns)}) "
            f"VALUES ({', '.join('?' * (len(columns) + 1))})",
            ((*row, unspaced_substrings(*row[1:])) for row in rows))
        db.conn.commit()
    db.close()


def copy_indexes(db, path):
    """The finished full-text indexes in `path` copied into `db`, whose tables' rowids must be their ranks by key."""
    db.execute("ATTACH DATABASE ? AS fulltext", [str(path)])
    for table in INDEXED:
        count, last = db.execute(f"SELECT count(*), ifnull(max(rowid), 0) FROM main.[{table.name}]").fetchone()
        if count != last:
            raise RuntimeError(f"{table.name}: rowids are not 1..{count}, so the full-text index would not match")
        create_index_table(db, table)
        for part in ("data", "idx", "docsize", "config"):  # what FTS5 keeps of a contentless index
            name = f"[{table.name}_fts_{part}]"
            db.execute(f"DELETE FROM main.{name}")  # what creating the table wrote
            db.execute(f"INSERT INTO main.{name} SELECT * FROM fulltext.{name}")
            db.execute(f"ANALYZE main.{name}")
    db.conn.commit()
    db.execute("DETACH DATABASE fulltext")


def create_index_table(db, table):
    """A contentless FTS5 index of the table's full-text columns; 'unspaced' holds CJK substrings."""
    db.execute(f"CREATE VIRTUAL TABLE main.[{table.name}_fts] USING fts5({', '.join([*table.fts, 'unspaced'])}, "
               "content='', tokenize='unicode61 remove_diacritics 2')")
