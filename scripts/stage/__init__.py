"""The build's working copy: every table in a SQLite file, so a million records never sit in memory, each row keeping
in hidden columns its file, line and upstream record, so a check after merging still names the line at fault."""

import json
import sqlite3
from itertools import islice
from pathlib import Path
from urllib.request import pathname2url

from scripts.common import fold, json_list, name_keys
from scripts.read import Origin
from scripts.schema import TABLES, pk_columns, stored_columns

SQL_TYPE = {str: "TEXT", int: "INTEGER", float: "FLOAT"}
HIDDEN = {"_file": "TEXT", "_line": "INTEGER", "_record_source": "TEXT", "_record_upstream": "TEXT",
          "_name_as_written": "TEXT", "_name_keys": "TEXT", "_refers_to": "TEXT"}
BATCH = 20_000  # rows buffered before an insert
PAGE_SIZE = 32_768  # written and read in bulk: a 1M build took 116 s with the stage on these pages, 127 s on 4 KiB


class SortedSet(set):
    """SQL aggregate: the distinct values as a sorted JSON array (as json_list writes it), None for none."""

    def step(self, value):
        if value is not None:
            self.add(value)

    def finalize(self):
        return json_list(sorted(self))


class Stage:
    """A staging file with every table of schema.py plus the hidden columns; unless `fresh`, another process's."""

    def __init__(self, path, cache_mib=256, fresh=True):
        self.path = Path(path)
        if fresh:
            self.path.unlink(missing_ok=True)
        # A URI connection, so that the previous release can be attached read-only (scripts/derive/changes.py).
        self.conn = sqlite3.connect(f"file:{pathname2url(str(self.path))}", uri=True)
        for pragma in (f"page_size = {PAGE_SIZE}", "journal_mode = OFF", "synchronous = OFF",
                       f"cache_size = -{cache_mib * 1024}"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.create_aggregate("sorted_set", 1, SortedSet)
        self.public = {name: [column for column, _ in stored_columns(table)] for name, table in TABLES.items()}
        for name, table in TABLES.items() if fresh else ():
            columns = [f"[{column}] {SQL_TYPE[kind]}" for column, kind in stored_columns(table)]
            columns += [f"{column} {kind}" for column, kind in HIDDEN.items()]
            self.conn.execute(f"CREATE TABLE [{name}] ({', '.join(columns)})")

    def close(self):
        self.conn.close()
        self.path.unlink(missing_ok=True)

    def add(self, name, rows):
        self.insert((name, self.values(name, origin, row)) for origin, row in rows)

    def insert(self, items):
        items = iter(items)
        while batch := list(islice(items, BATCH)):
            by_table = {}
            for name, values in batch:
                by_table.setdefault(name, []).append(values)
            for name, rows in by_table.items():
                columns = self.public[name] + list(HIDDEN)
                self.conn.executemany(f"INSERT INTO [{name}] ({', '.join(f'[{c}]' for c in columns)}) "
                                      f"VALUES ({', '.join('?' * len(columns))})", rows)

    def add_person_issues(self, sources):
        """person_issues, a row per issue of each person staged from the sources' lists, with the person's origin."""
        self.conn.execute("INSERT INTO person_issues (person_id, issue, source_id, upstream_ref, _file, _line, "
                          "_record_source, _record_upstream) SELECT p.id, issue.value, p.source_id, p.upstream_ref, "
                          "p._file, p._line, p._record_source, p._record_upstream FROM persons AS p, "
                          f"json_each(p.issues) AS issue WHERE p.source_id IN ({', '.join('?' * len(sources))}) "
                          "ORDER BY p.rowid, issue.key", sources)

    def values(self, name, origin, row):
        """A row as staged, made where rows are adapted (in the workers, for long lists), with the columns it gives
        alone: folded names, sorted lists, years, a person's name keys; as read, a record defines its own person."""
        record = row.get("_record") or (None, None)
        keys = None
        if name == "persons":
            row = {**row, "name_folded": fold(row.get("name")),
                   **{column: sorted_list(row.get(column)) for column in ("categories", "issues")}}
            names = [row.get("name"), row.get("name_native"), *json.loads(row.get("alternate_names") or "[]")]
            keys = json_list(sorted(name_keys(names)))
        elif name == "records":
            row = {"link_method": "defines the person", "link_confidence": 1.0, **row}
        elif name == "detentions":
            row = {**row, "detained_year": year_of(row.get("detained_on"))}
        elif name == "events":
            row = {**row, "year": year_of(row.get("date"))}
        return (*map(row.get, self.public[name]), origin.file, origin.line, *record, row.get("_name_as_written"), keys,
                row.get("_refers_to"))

    def index(self):
        for name, table in TABLES.items():
            self.conn.execute(f"CREATE INDEX [stage_{name}_key] ON [{name}] ({', '.join(pk_columns(table))})")
            if "person_id" in self.public[name] and "person_id" not in pk_columns(table):
                self.conn.execute(f"CREATE INDEX [stage_{name}_person] ON [{name}] (person_id)")

    def rows(self, name, where="", params=()):
        """(origin, row) for the table's rows in staging order; rows carry _record and _name_as_written."""
        cursor = self.conn.execute(f"SELECT *, rowid FROM [{name}] {where} ORDER BY rowid", params)
        columns = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(columns, values))
            yield Origin(row["_file"], row["_line"]), {**{c: row[c] for c in self.public[name]}, "_rowid": row["rowid"],
                                                       "_record": (row["_record_source"], row["_record_upstream"]),
                                                       "_name_as_written": row["_name_as_written"]}

    def origin_of(self, name, rowid):
        return Origin(*self.conn.execute(f"SELECT _file, _line FROM [{name}] WHERE rowid = ?", (rowid,)).fetchone())

    def replace(self, name, rows):
        self.conn.execute(f"DELETE FROM [{name}]")
        self.add(name, rows)

    def update(self, name, row, columns):
        """Write back the given columns of a row read with rows()."""
        self.conn.execute(f"UPDATE [{name}] SET {', '.join(f'[{c}] = ?' for c in columns)} WHERE rowid = ?",
                          [*(row.get(c) for c in columns), row["_rowid"]])

    def count(self, name):
        return self.conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0]


def sorted_list(value):
    """A list column's JSON sorted (a list of one item, with no comma, is sorted already)."""
    return json_list(sorted(json.loads(value))) if value and "," in value else value


def year_of(iso):
    return int(iso[:4]) if iso else None
