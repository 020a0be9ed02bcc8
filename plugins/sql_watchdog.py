"""No query runs much past the time limit, however busy the server: a watchdog interrupts the one that does, only it.

Datasette's time check is a Python callback SQLite calls every 1,000 instructions: on a busy server each comes late,
and one long step (a sort, a function) is never checked. Connection.interrupt() from another thread is noticed in C at
SQLite's next step, but SQLite keeps the flag until no statement of the connection is active, so one sent after its
query ended lands on the next (an innocent page refused as "took too long"). So the watchdog times the work, not
statements: each function Datasette runs on a connection (Database.execute_fn) is marked as running from start to end,
under the lock held while interrupting, and only one still running GRACE_SECONDS past the site's longest limit is
interrupted. A function that fails leaves no statement open: its traceback's frames, which hold the cursor, are cleared.

It rebinds Database.execute_fn: on any version but WRITTEN_FOR it steps aside at startup, and Datasette's checks remain.
"""

import functools
import sys
import threading
import time
import traceback

import datasette
from datasette import hookimpl

WRITTEN_FOR = "0.65.5"
RUNNING = datasette.__version__  # the startup hook's argument hides the module's name
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
