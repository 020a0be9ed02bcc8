"""An error page costs what the page costs: no traceback printed with all its local variables.

Datasette 0.65.5's default handle_exception prints every exception's traceback, with the locals of each frame,
through rich whenever rich can be imported: 0.73 s per 404 page of /person/<unknown id>, against 12 ms without it,
and any visitor can ask for such pages in a loop. rich comes with frictionless (the tests validate the release's
data package with it), so it is on every machine `make install` sets up; the published image has neither. Here the
error pages are made as they are without rich: the page, and the request's line in the server's log.

It sets a variable of Datasette's handle_exception module, so it applies only to the Datasette it was written
against (WRITTEN_FOR): on any other version it steps aside at startup, saying so once in the log.
"""

import sys

import datasette
from datasette import hookimpl

WRITTEN_FOR = "0.65.5"
APPLIES = datasette.__version__ == WRITTEN_FOR
if APPLIES:  # Datasette's internals, as they are in that version
    from datasette import handle_exception


@hookimpl
def startup():
    if not APPLIES:
        print(f"conscience: plugins/error_tracebacks.py was written for Datasette {WRITTEN_FOR}, not "
              f"{datasette.__version__}: it steps aside, and errors' tracebacks are printed if rich is installed",
              file=sys.stderr)
        return
    handle_exception.rich = None
