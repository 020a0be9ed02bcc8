"""A visitor's mistake is a 400 that says what was wrong, never a 500 (plugins/sql_gate.py, feeds.py)."""

import itertools

import pytest

TABLES = ["persons", "detentions", "person_charges"]
MISTAKES = {
    "_sort=nope": "Cannot sort table by nope",
    "_sort_desc=nope": "Cannot sort table by nope",
    "_sort=name&_sort_desc=name": "at the same time",
    "_timelimit=abc": "_timelimit must be a whole number",
    "_timelimit=1e9": "_timelimit must be a whole number",
    "_through=garbage": "_through must be a JSON object",
    "_through=%7B%7D": "_through must be a JSON object",
    "_through=%5B1%5D": "_through must be a JSON object",
    "id__in=%5B": "id__in must be a JSON list",
    "id__notin=%5B": "id__notin must be a JSON list",
    "_next=garbage": "_next is not a position this page gave",
    "_where=length(randomblob(1000000))%20%3D%200": "string or blob too big",
}


@pytest.mark.parametrize("table, query", list(itertools.product(TABLES, MISTAKES)))
async def test_a_visitors_mistake_is_a_400_saying_what_was_wrong(ds, table, query):
    for extension in ("", ".json", ".csv"):
        response = await ds.client.get(f"/conscience/{table}{extension}?{query}", headers={"fly-client-ip": query})
        # Some tables make sense of what others refuse (a _next on a table sorted by name): never a server fault.
        assert response.status_code in (200, 400), (extension, response.text[:200])
        if extension == ".json" and response.status_code == 400:
            assert MISTAKES[query] in response.json()["error"]


async def test_a_table_that_is_not_a_feed_is_not_a_server_fault(ds):
    response = await ds.client.get("/conscience/persons.jsonfeed")
    assert response.status_code == 400 and "atom_id" in response.text


def test_a_fault_of_ours_stays_a_server_fault():
    from datasette.utils.asgi import Request

    from .test_plugins import plugin_module

    gate = plugin_module("sql_gate")
    request = Request.fake("/conscience/persons.json?_sort=name")
    assert gate.mistake(request, KeyError("a bug")) is None
