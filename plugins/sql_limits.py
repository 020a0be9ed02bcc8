"""Every SQL query bounded in memory as Datasette bounds it in time: limits on each value, on each result, on SQLite.

A read-only query can still ask for gigabytes: `select zeroblob(200000000)` returned a 1.2 GB JSON body and left
the server at 6 GiB; a thousand rows of sixty 100 KB strings took it to 1.5 GB in the second before the time
limit cut the query. Each connection Datasette opens (the documented prepare_connection hook) gets:

- SQLite's limits on one value (LENGTH: no stored value is near it, scripts/build.py refuses longer ones), on the
  columns of a result, on the length of a statement and of a LIKE pattern (whose matching cost grows with it);
- a budget for each query's result: rows are counted as SQLite hands them over (the connection's row factory,
  which Datasette sets to sqlite3.Row and which this keeps), and a query whose rows pass RESULT_BYTES stops with
  an error saying so — about a hundred times what any page of ours needs;
- a ceiling on all of SQLite's memory in the process (hard_heap_limit): past it, a query fails instead of the
  server swelling;
- the path of the database file on the server, which pragma_database_list would show, read as NULL;
- printf()'s width and precision held to the length of a value: SQLite loops over a precision even when the
  result is too long to keep, so `printf('%.*c', 100000000 + length(name), 'x')` took 0.14 s a row, between two
  checks of the time limit: 23 s for a one-second limit. The function is replaced by one that gives NULL at once
  for a width or precision longer than a value (as SQLite's gives NULL after its loop), and otherwise has
  SQLite's own printf make the text.
"""

import re
import sqlite3
import threading
import weakref

from datasette import hookimpl

# No stored value is longer than half of this (scripts/read refuses longer cells). Producing a value
# of this size takes up to a millisecond, and Datasette checks the time every 1,000 SQLite instructions (some
# 250 rows of a scan): a query making one per row runs at most about 0.25 s past its limit.
MAX_VALUE_BYTES = 256 * 1024
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_VALUE_BYTES,
    sqlite3.SQLITE_LIMIT_COLUMN: 200,  # columns of a result, table or index (our widest table has 28)
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,  # bytes of a statement (canned queries are under 2,000)
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1_000,
}
RESULT_BYTES = 32 * 2**20  # a page of 1,000 records with their upstream rows is about 2 MB
HEAP_BYTES = 512 * 2**20  # all of SQLite's memory in the process: page caches, sorts, values


class ResultTooLarge(sqlite3.DatabaseError):
    """Raised while rows are fetched: Datasette shows it as the query's error, with the SQL kept."""


class ResultBudget:
    """A row factory giving sqlite3.Row, that stops a query once its rows would pass `limit` bytes as sent.

    A value is counted at what it may take in the JSON answer: text of printable ASCII at its length, any other text
    or blob at six times it (a NUL or a Chinese character is written `\\u0000`, `\\u5218`), so no answer can be much
    larger than the budget, however its values are made. A connection runs one query at a time, in its own thread:
    the count starts again with each new cursor. Only a weak reference to the cursor is kept: a cursor kept alive
    keeps its statement open, and an open statement would keep an interrupt meant for it alive for the next query.
    """

    def __init__(self, limit=RESULT_BYTES):
        self.limit = limit
        self.counted = threading.local()

    def __call__(self, cursor, row):
        counted = self.counted
        if getattr(counted, "cursor", lambda: None)() is not cursor:
            counted.cursor, counted.bytes = weakref.ref(cursor), 0
        counted.bytes += sum(map(sent_size, row))
        if counted.bytes > self.limit:
            counted.cursor = lambda: None
            raise ResultTooLarge(f"the query's result is larger than {self.limit // 2**20} MB: "
                                 "ask for fewer rows or columns, or shorter values")
        return sqlite3.Row(cursor, row)


def sent_size(value):
    """At most how many bytes a value takes in a JSON answer (numbers and NULL count as nothing)."""
    if isinstance(value, str):
        return len(value) if value.isascii() and value.isprintable() else 6 * len(value)
    return 6 * len(value) if isinstance(value, bytes) else 0


# A conversion: flags, width, precision (digits or * for an argument), then the type; %% takes no argument.
CONVERSION = re.compile(r"%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d*))?([a-zA-Z%])")


def too_long(text, args):
    """Whether a width or precision, written or given as an argument, is longer than a value may be."""
    args = list(args)
    for width, precision, kind in CONVERSION.findall(text or ""):
        if kind == "%":
            continue
        for size in (width, precision):
            value = args.pop(0) if size == "*" and args else size
            if isinstance(value, (int, float)) or str(value).isdigit():
                if abs(int(value)) > MAX_VALUE_BYTES:
                    return True
        if args:
            args.pop(0)
    return False


class GuardedPrintf:
    """printf/format made by SQLite's own printf on a private connection, once its widths and precisions are checked.

    A result longer than a value may be is NULL, as SQLite's printf gives it, without the loop.
    """

    def __init__(self):
        self.private = threading.local()

    def __call__(self, *args):
        if not args or too_long(args[0], args[1:]):
            return None
        builtin = getattr(self.private, "conn", None)
        if builtin is None:
            builtin = self.private.conn = sqlite3.connect(":memory:")
            builtin.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        return builtin.execute(f"SELECT printf({', '.join('?' * len(args))})", args).fetchone()[0]


PRINTF = GuardedPrintf()


def hide_file_paths(action, table, column, database, trigger):
    """`select * from pragma_database_list` reads the path of the database file on the server as NULL."""
    if action == sqlite3.SQLITE_READ and table == "pragma_database_list" and column == "file":
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn):
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    conn.execute(f"PRAGMA hard_heap_limit = {HEAP_BYTES}")
    conn.row_factory = ResultBudget()
    conn.set_authorizer(hide_file_paths)
    for name in ("printf", "format"):
        conn.create_function(name, -1, PRINTF, deterministic=True)
