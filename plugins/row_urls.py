"""Links to a row's page with its key as Datasette's routes read it: tilde-encoded (Datasette's own tilde_encode),
so that a key holding a slash or a dot still names one row (record `cecc-ppd/2011-00179` is at
`/conscience/records/cecc-ppd~2F2011-00179`). Templates write `row_url('records', r.id)`, never urls.row with a
raw key."""

from datasette import hookimpl
from datasette.utils import tilde_encode


@hookimpl
def extra_template_vars(datasette):
    def row_url(table, key, format=None):
        return datasette.urls.row(datasette.get_database().name, table, tilde_encode(str(key)), format=format)

    return {"row_url": row_url}
