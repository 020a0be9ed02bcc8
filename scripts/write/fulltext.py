"""Full-text indexes, built by a second process while the build copies the tables.

Indexing a million persons takes as long as a third of the copying, and both are work for one core.
The second process reads the stage and writes contentless FTS5 indexes into a file of their own; the
finished index tables are then copied into the database as they are. An index's rowids are its table's:
the tables are written in key order into fresh tables, so a row's rowid is its rank by key.
"""

from contextlib import contextmanager

import sqlite_utils

from scripts.common import unspaced_substrings
from scripts.schema import TABLES, pk_columns
from scripts.stage.parallel import in_background

TOKENIZER = "unicode61 remove_diacritics 2"
# What FTS5 keeps of a contentless index (content=''): its segments, their index, row sizes, settings.
INDEX_TABLES = ("data", "idx", "docsize", "config")
INDEXED = [table for table in TABLES.values() if table.fts]


@contextmanager
def indexes_alongside(stage_path, path):
    """Start indexing the stage into `path`; yield a function that waits for the indexes and copies them into a db."""
    path.unlink(missing_ok=True)
    try:
        with in_background(write_indexes, stage_path, path) as indexed:
            yield lambda db: copy_into(db, indexed, path)
    finally:  # once the second process has stopped: it could otherwise write the file again
        for leftover in (path, path.with_name(path.name + "-journal")):
            leftover.unlink(missing_ok=True)


def copy_into(db, indexed, path):
    """Wait for the indexes, then copy them into `db`."""
    indexed()
    db.execute("ATTACH DATABASE ? AS fulltext", [str(path)])
    for table in INDEXED:
        check_rowids_are_ranks(db, table)
        create_index_table(db, table)
        for part in INDEX_TABLES:
            name = f"[{table.name}_fts_{part}]"
            db.execute(f"DELETE FROM main.{name}")  # what creating the table wrote
            db.execute(f"INSERT INTO main.{name} SELECT * FROM fulltext.{name}")
            db.execute(f"ANALYZE main.{name}")
    db.conn.commit()
    db.execute("DETACH DATABASE fulltext")


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


def create_index_table(db, table):
    """A contentless FTS5 index of the table's full-text columns; 'unspaced' holds CJK substrings."""
    db.execute(f"CREATE VIRTUAL TABLE main.[{table.name}_fts] USING fts5({', '.join([*table.fts, 'unspaced'])}, "
               f"content='', tokenize='{TOKENIZER}')")


def check_rowids_are_ranks(db, table):
    rowids = db.execute(f"SELECT count(*), ifnull(max(rowid), 0) FROM main.[{table.name}]").fetchone()
    if rowids[0] != rowids[1]:
        raise RuntimeError(f"{table.name}: rowids are not 1..{rowids[0]}, so the full-text index would not match")
