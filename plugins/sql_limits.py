"""Every SQL query bounded in memory and in time (docs/building.md, "The server", gives the figures).
One file: the byte budget and the watchdog are the two bounds every query runs under, set up together.

Time: Connection.interrupt() is noticed in C at SQLite's next step, but SQLite keeps the flag until no statement of the
connection is active, so one sent after its query ended lands on the next (an innocent page refused as "took too
long"). So the watchdog times the work, not statements: each function Datasette runs on a connection
(Database.execute_fn) is marked as running from start to end, under the lock held while interrupting. A function that
fails leaves no statement open: its traceback's frames, which hold the cursor, are cleared.
"""

import functools
import re
import sqlite3
import sys
import threading
import time
import traceback
import weakref

import datasette
from datasette import __version__, hookimpl

WRITTEN_FOR = "0.65.5"
APPLIES = datasette.__version__ == WRITTEN_FOR
if APPLIES:  # Datasette's internals, as they are in that version
    from datasette.database import Database

# Twice the longest stored value (scripts/read refuses longer cells). Making one takes up to a millisecond: a query
# making one per row runs at most about 0.25 s past its limit (time checked every 1,000 instructions, ~250 rows).
MAX_VALUE_BYTES = 256 * 1024
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_VALUE_BYTES,
    sqlite3.SQLITE_LIMIT_COLUMN: 200,  # columns of a result, table or index (our widest table has 28)
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,  # bytes of a statement (canned queries are under 2,000)
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1_000,
}
RESULT_BYTES = 32 * 2**20  # a page of 1,000 records with their upstream rows is about 2 MB
HEAP_BYTES = 512 * 2**20  # all of SQLite's memory in the process: page caches, sorts, values
GRACE_SECONDS = 0.25  # the watchdog's, past the site's longest time limit
CHECK_EVERY_SECONDS = 0.05


class ResultTooLarge(sqlite3.DatabaseError):
    """Raised while rows are fetched: Datasette shows it as the query's error, with the SQL kept."""


class ResultBudget:
    """A row factory giving sqlite3.Row (as Datasette's) stopping a query once its rows pass RESULT_BYTES as sent; per
    cursor, held weakly: a live cursor keeps its statement open, and an interrupt meant for it cuts the next query."""

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
    """Most bytes a value takes in JSON: printable ASCII its length, other text or blobs 6 times (`\\u5218`); else 0."""
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
            if (isinstance(value, (int, float)) or str(value).isdigit()) and abs(int(value)) > MAX_VALUE_BYTES:
                return True
        if args:
            args.pop(0)
    return False


class GuardedPrintf:
    """SQLite's printf/format on a private connection, once its widths and precisions are checked: SQLite loops over a
    precision even when the result is too long to keep (23 s for a one-second limit); here that is NULL at once."""

    def __init__(self):
        self.private = threading.local()

    def __call__(self, *args):
        if not args or too_long(args[0], args[1:]):
            return None
        if (builtin := getattr(self.private, "conn", None)) is None:
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


class Watchdog:
    def __init__(self):
        self.lock, self.limit = threading.Lock(), None
        self.running = {}  # connection -> when the function now running on it started

    def run_timed(self, fn, conn):
        """fn(conn), open to an interrupt only while it runs; on failure, nothing of it left open."""
        with self.lock:
            self.running[conn] = time.monotonic()
        try:
            return fn(conn)
        except BaseException as error:
            traceback.clear_frames(error.__traceback__)
            raise
        finally:
            with self.lock:  # no interrupt can be sent to conn once this is passed
                self.running.pop(conn, None)

    def watch(self, limit_seconds):
        """Start interrupting work that runs longer than `limit_seconds` (once; later calls do nothing)."""
        with self.lock:
            if self.limit is not None:
                return
            self.limit = limit_seconds
        threading.Thread(target=self.patrol, name="sql-watchdog", daemon=True).start()

    def patrol(self):
        while True:
            time.sleep(CHECK_EVERY_SECONDS)
            with self.lock:
                now = time.monotonic()
                for conn, started in self.running.items():
                    if now - started > self.limit:
                        conn.interrupt()  # again at each check until it ends: one sent between two statements is void


WATCHDOG = Watchdog()


def timed(execute_fn):
    @functools.wraps(execute_fn)
    async def timed_execute_fn(db, fn):
        return await execute_fn(db, functools.partial(WATCHDOG.run_timed, fn))

    timed_execute_fn.timed = True
    return timed_execute_fn


@hookimpl
def startup(datasette):
    if not APPLIES:
        print(f"conscience: plugins/sql_limits.py was written for Datasette {WRITTEN_FOR}, not {__version__}: its "
              "watchdog steps aside and Datasette's own time checks bound each query", file=sys.stderr)
        return
    if not getattr(Database.execute_fn, "timed", False):
        Database.execute_fn = timed(Database.execute_fn)
    limit_ms = max(datasette.setting("sql_time_limit_ms"), datasette.setting("facet_time_limit_ms"))
    WATCHDOG.watch(limit_ms / 1000 + GRACE_SECONDS)
