"""Templates copied from Datasette and changed (templates/datasette-<version>/), used only on that exact version.

A copy of Datasette's table.html or base.html relies on the variables its own Datasette passes it: on any other
version it would break pages (Datasette 1.0's table.html, for one, gets different variables). So the copies live in
a folder named for the version they were copied from, put in front of Datasette's own templates only when that
version is installed. On any other version they step aside, with one line in the log, and Datasette's own
templates are used: pages work, in English only where the copies translated them. Our own pages (person.html,
index.html...) are in templates/ itself and used on every version.
"""

import sys
from pathlib import Path

import datasette
from datasette import hookimpl
from jinja2 import ChoiceLoader, FileSystemLoader

TEMPLATES = Path(__file__).parent.parent / "templates"


def copies_for(version):
    """The folder of templates copied from this Datasette version, or None."""
    folder = TEMPLATES / f"datasette-{version}"
    return folder if folder.is_dir() else None


@hookimpl
def prepare_jinja2_environment(env):
    folder = copies_for(datasette.__version__)
    if folder is None:
        others = ", ".join(sorted(path.name for path in TEMPLATES.glob("datasette-*")))
        print(f"conscience: Datasette {datasette.__version__} is installed; the templates copied from other versions "
              f"({others}) step aside and Datasette's own are used", file=sys.stderr)
        return
    env.loader = ChoiceLoader([FileSystemLoader(str(folder)), env.loader])
