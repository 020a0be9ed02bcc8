"""The SQL page shows the schema beside its editor (plugins/instance.py; issue 28, item 8)."""

import re

import pytest

pytestmark = pytest.mark.pages


async def test_the_sql_editor_has_every_table_and_view_with_its_columns_beside_it(ds, conn):
    page = (await ds.client.get("/conscience?sql=select+1")).text
    assert '<label for="sql-editor"' in page
    workspace = page.split('<div class="sql-workspace">', 1)[1]
    editor, schema = workspace.split('<details class="sql-schema" open>', 1)
    assert 'id="sql-editor"' in editor
    listed = dict(re.findall(r'<li><a href="/conscience/[^"]+"><code>([^<]+)</code></a>.*?<small translate="no">([^<]*)</small>',
                             schema))
    expected = {name for (name,) in conn.execute(
        "select name from sqlite_master where type in ('table', 'view') and name not like '%fts%' "
        "and name not like 'sqlite_%'")}
    assert set(listed) == expected
    assert listed["persons"].split(", ")[:3] == ["id", "name", "name_native"]
    assert "ethnicity" in listed["persons"] and "charge_id" in listed["person_charges"]


async def test_a_canned_query_shows_its_own_sql_without_the_schema(ds):
    page = (await ds.client.get("/conscience/detained_under_article?article=342&country=BY")).text
    assert "sql-schema" not in page.split("</style>")[-1]
