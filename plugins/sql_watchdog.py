"""No query runs much past the time limit, however busy the server: a watchdog interrupts the one that does, and only it.

Datasette cuts a query at sql_time_limit_ms with a Python callback that SQLite calls every 1,000 instructions.
The callback needs Python's lock, so when the server is busy (twenty clients sending hostile queries, say) each
check comes late, and one long step (a sort, a function) is never checked at all. SQLite can also be interrupted
from another thread (sqlite3_interrupt: Connection.interrupt in Python), which it notices in C at its next step.

An interrupt is exact only while the query it is meant for is running: SQLite keeps the flag until no statement of
the connection is active, so one sent after the query ended lands on the connection's next query (an innocent
page refused as "took too long"), or, while a cut-short cursor keeps its statement open, on every query after it.
So the watchdog times the work itself, not statements: every function Datasette runs on a connection in its SQL
threads (Database.execute_fn: each query, with its fetching) is marked as running from its start to its end, under
the lock the watchdog holds while it interrupts, and only a function still running GRACE_SECONDS past the longest
limit the site gives a query is interrupted. A function that fails leaves no statement open behind it: its
traceback's frames are cleared, so the cursor they hold is freed and its statement reset.

This replaces Database.execute_fn, so it applies only to the Datasette it was written against (WRITTEN_FOR): on any
other version it steps aside at startup, saying so once in the log, and Datasette's own time checks remain.
"""

import functools
import sys
import threading
import time
import traceback

import datasette
from datasette import hookimpl

WRITTEN_FOR = "0.65.5"
RUNNING = datasette.__version__
APPLIES = datasette.__version__ == WRITTEN_FOR
if APPLIES:  # Datasette's internals, as they are in that version
    from datasette.database import Database

GRACE_SECONDS = 0.25
CHECK_EVERY_SECONDS = 0.05


class Watchdog:
    def __init__(self):
        self.lock = threading.Lock()
        self.running = {}  # connection -> when the function now running on it started
        self.limit = None

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
            self.interrupt_overdue(time.monotonic())

    def interrupt_overdue(self, now):
        with self.lock:
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
        print(f"conscience: plugins/sql_watchdog.py was written for Datasette {WRITTEN_FOR}, not {RUNNING}: it "
              "steps aside and Datasette's own time checks bound each query", file=sys.stderr)
        return
    if not getattr(Database.execute_fn, "timed", False):
        Database.execute_fn = timed(Database.execute_fn)
    limit_ms = max(datasette.setting("sql_time_limit_ms"), datasette.setting("facet_time_limit_ms"))
    WATCHDOG.watch(limit_ms / 1000 + GRACE_SECONDS)
