"""Every SQL query bounded in memory as Datasette bounds it in time (docs/building.md, "The server", gives the figures).

A read-only query can still ask for gigabytes (`select zeroblob(200000000)` made a 1.2 GB JSON body and left the
server at 6 GiB). Each connection Datasette opens (the prepare_connection hook) gets SQLite's limits on a value, a
result's columns, a statement and a LIKE pattern; a budget for each query's result; a ceiling on all of SQLite's
memory (hard_heap_limit: past it a query fails instead of the server swelling); the database file's path read as NULL
in pragma_database_list; and a printf whose width and precision are held to a value's length.
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
    """A row factory giving sqlite3.Row (as Datasette sets), that stops a query once its rows pass RESULT_BYTES as sent.

    A connection runs one query at a time, in its own thread: the count starts again with each new cursor. Only a weak
    reference to the cursor is kept: a live cursor keeps its statement open, and with it an interrupt meant for it,
    which would then cut the connection's next query.
    """

    def __init__(self):
        self.counted = threading.local()

    def __call__(self, cursor, row):
        counted = self.counted
        if getattr(counted, "cursor", lambda: None)() is not cursor:
            counted.cursor, counted.bytes = weakref.ref(cursor), 0
        counted.bytes += sum(map(sent_size, row))
        if counted.bytes > RESULT_BYTES:
            counted.cursor = lambda: None
            raise ResultTooLarge(f"the query's result is larger than {RESULT_BYTES // 2**20} MB: "
                                 "ask for fewer rows or columns, or shorter values")
        return sqlite3.Row(cursor, row)


def sent_size(value):
    """At most how many bytes a value takes in a JSON answer: printable ASCII at its length, any other text or blob six
    times it (a NUL or a Chinese character is written `\\u0000`, `\\u5218`); numbers and NULL count as nothing."""
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

    SQLite loops over a precision even when the result is too long to keep: `printf('%.*c', 100000000 + length(name),
    'x')` took 0.14 s a row between two checks of the time limit (23 s for a one-second limit). A width or precision
    longer than a value may be gives NULL at once, as SQLite's printf gives it after its loop.
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
