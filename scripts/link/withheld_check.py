"""The last check before a database is published: no trace of a withheld person is left in it (docs/withholding.md).

Searched: every text cell and full-text index for the names and ids withhold.py knows them by, free pages (which could
hold deleted rows), and the files served beside it. A namesake's own name is not a trace. Messages never name anyone.
"""

import sqlite3
from contextlib import closing

from scripts.common import CJK
from scripts.link.withhold import Redactor, tokens
from scripts.read import ROOT, display_path
from scripts.schema import TABLES

# Columns holding someone's own name: a withheld person's name there is a namesake's (their rows are gone).
OWN_NAMES = {
    "persons": ("name", "name_native", "name_folded", "alternate_names"),
    "records": ("name_as_written",),
    "organizations": ("name", "name_native", "name_folded", "names_as_written"),
    "signatures": ("name_as_written",),
}


def traces_left(path, persons):
    """[(request, where)] for every trace of a withheld person in the database file at `path` (request None: the file)."""
    if not persons:
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        left = [(None, f"{count} free pages (written anew, the file should have none)")
                for (count,) in conn.execute("PRAGMA freelist_count") if count]
        for person in persons:
            redactor = Redactor([person])
            namesakes = set()
            for table, column, rowid, text in texts(conn, redactor):
                if redactor.ids_in(text) is not None:
                    left.append((person.request, f"{table}.{column}, rowid {rowid}: an id or address"))
                elif redactor.names_in(text) is not None:
                    if column in OWN_NAMES.get(table, ()):
                        namesakes.add((table, rowid))
                    else:
                        left.append((person.request, f"{table}.{column}, rowid {rowid}: a name"))
            left += [(person.request, f"{table}_fts, rowid {rowid}: a name in the full-text index")
                     for table, rowid in indexed(conn, person) if (table, rowid) not in namesakes]
    return left + traces_in_served_files(persons)


def served_files():
    """The files the site serves or renders besides the database."""
    return sorted(path for path in (ROOT / "templates").rglob("*") if path.is_file()) + [ROOT / "metadata.yml"]


def traces_in_served_files(persons):
    """[(request, where)] for every line of a served file that names a withheld person or holds one of their ids."""
    redactors = [(person, Redactor([person])) for person in persons]
    left = []
    for path in served_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            left += [(person.request, f"{display_path(path)}, line {number}: a name or id")
                     for person, redactor in redactors if redactor.names_in(line) is not None]
    return left


def texts(conn, redactor):
    """(table, column, rowid, text) of every text cell that may hold a trace."""
    for table in TABLES:
        for _, column, kind, *_ in conn.execute(f"PRAGMA table_info([{table}])").fetchall():
            if kind.upper() == "TEXT":
                yield from ((table, column, rowid, text) for rowid, text in redactor.candidates(conn, table, column))


def indexed(conn, person):
    """(table, rowid) of every full-text row whose index holds one of the person's names as a phrase."""
    found = set()
    for table in (name for name, table in TABLES.items() if table.fts):
        for name in sorted(person.names):
            query = f'unspaced : "{name}"' if CJK.search(name) else f'"{" ".join(tokens(name))}"'
            found |= {(table, rowid) for (rowid,) in conn.execute(
                f"SELECT rowid FROM [{table}_fts] WHERE [{table}_fts] MATCH ?", (query,))}
    return found
