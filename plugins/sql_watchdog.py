"""No statement runs much past the time limit, however busy the server: a watchdog interrupts any that does.

Datasette cuts a query at sql_time_limit_ms with a Python callback that SQLite calls every 1,000 instructions.
The callback needs Python's lock, so when the server is busy (twenty clients sending hostile queries, say) each
check comes late, and a query runs on past its limit. SQLite can also be interrupted from another thread
(sqlite3_interrupt: Connection.interrupt in Python), which it notices in C at its next step. Each connection
Datasette opens (the documented prepare_connection hook) reports when each of its statements starts (a trace
callback, once a statement), and a watchdog thread interrupts a statement still running GRACE_SECONDS past the
longest limit the site gives a visitor's query; SQLite reports it as Datasette's own "SQL query took too long".
The watchdog starts with the first request; facets counted at startup with a longer limit of their own run on
connections of their own (plugins/immutable_facets.py), which it does not watch.
"""

import threading
import time

from datasette import hookimpl

GRACE_SECONDS = 0.25
CHECK_EVERY_SECONDS = 0.05


class Watchdog:
    def __init__(self):
        self.lock = threading.Lock()
        # connection -> when its current statement started, or None. Datasette keeps a connection per database and
        # SQL thread for as long as it runs, so the connections kept here are those it keeps anyway.
        self.started = {}
        self.limit = None

    def statement_started(self, conn):
        with self.lock:
            self.started[conn] = time.monotonic()

    def watch(self, limit_seconds):
        """Start interrupting statements that run longer than `limit_seconds` (once; later calls do nothing)."""
        with self.lock:
            if self.limit is not None:
                return
            self.limit = limit_seconds
        threading.Thread(target=self.run, name="sql-watchdog", daemon=True).start()

    def run(self):
        while True:
            time.sleep(CHECK_EVERY_SECONDS)
            self.interrupt_overdue(time.monotonic())

    def interrupt_overdue(self, now):
        with self.lock:  # a statement cannot start on a connection between the check and the interrupt
            for conn, started in list(self.started.items()):
                if started is not None and now - started > self.limit:
                    conn.interrupt()  # a connection whose statement has ended ignores it
                    self.started[conn] = None


WATCHDOG = Watchdog()


@hookimpl
def prepare_connection(conn):
    conn.set_trace_callback(lambda statement: WATCHDOG.statement_started(conn))


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def watched(scope, receive, send):
            if scope["type"] == "http" and WATCHDOG.limit is None:
                limit_ms = max(datasette.setting("sql_time_limit_ms"), datasette.setting("facet_time_limit_ms"))
                WATCHDOG.watch(limit_ms / 1000 + GRACE_SECONDS)
            return await app(scope, receive, send)

        return watched

    return wrap
