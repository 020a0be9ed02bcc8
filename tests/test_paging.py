"""Exports are complete: every sorted order pages through every row once, and a table's CSV holds every row."""

import csv
import io

import pytest

TABLES = ("persons", "detentions", "records")


async def walk(ds, path):
    """Every row's primary key, following `next_url` from `path` to the end; and the count the first page gave."""
    keys, url, count = [], path, None
    while url:
        data = (await ds.client.get(url)).json()
        count = data["filtered_table_rows_count"] if count is None else count
        at = [data["columns"].index(pk) for pk in data["primary_keys"]]
        keys += [tuple(row[i] for i in at) for row in data["rows"]]
        url = data["next_url"] and data["next_url"].split("localhost", 1)[1]
    return keys, count


def sortable(conn, table):
    return [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")]


@pytest.mark.slow
@pytest.mark.parametrize("table", TABLES)
async def test_every_sorted_order_pages_through_every_row_once(ds, conn, table):
    total = conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
    for column in sortable(conn, table):
        for order in ("_sort", "_sort_desc"):
            keys, count = await walk(ds, f"/conscience/{table}.json?{order}={column}&_size=1000&_nofacet=1&_col={column}")
            assert count == total and len(keys) == total and len(set(keys)) == total, (table, order, column)


async def test_birth_year_descending_by_hundreds_as_the_issue_found_it(ds, conn):
    keys, count = await walk(ds, "/conscience/persons.json?_sort_desc=birth_year")
    assert len(keys) == len(set(keys)) == count == conn.execute("SELECT count(*) FROM persons").fetchone()[0]


def csv_rows(text):
    return list(csv.reader(io.StringIO(text)))[1:]


@pytest.mark.parametrize("query", ["status=detained&country=CN", "_sort_desc=birth_year", "_sort=name", ""])
async def test_a_tables_csv_link_sends_every_matching_row_once(ds, conn, query):
    """The CSV link of a table page (?_size=max) streams every row, not the first 1,000."""
    where = {"status=detained&country=CN": "WHERE status = 'detained' AND country = 'CN'"}.get(query, "")
    expected = conn.execute(f"SELECT count(*) FROM persons {where}").fetchone()[0]
    assert expected > 1000
    rows = csv_rows((await ds.client.get(f"/conscience/persons.csv?{query}&_size=max")).text)
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids)) == expected


async def test_a_csv_page_asked_for_with_next_stays_one_page(ds):
    first = (await ds.client.get("/conscience/persons.json?_sort=name&_size=10")).json()
    page = (await ds.client.get(f"/conscience/persons.csv?_sort=name&_size=10&_next={first['next']}")).text
    assert len(csv_rows(page)) == 10


async def test_table_pages_say_what_each_export_returns(ds, conn):
    html = (await ds.client.get("/conscience/persons?status=detained&country=CN")).text
    (count,) = conn.execute("SELECT count(*) FROM persons WHERE status = 'detained' AND country = 'CN'").fetchone()
    assert f"CSV — every one of the {count:,} rows" in html and "JSON — 100 rows a page" in html
