"""The SQL a visitor writes is bounded in time, memory and share (plugins/sql_gate.py, plugins/sql_limits.py).

Each test speaks as a client of its own (the fly-client-ip header metadata.yml names), as visitors behind Fly's
proxy do, so that one test's SQL time does not count against another's.
"""

import asyncio
import collections
import itertools
import sqlite3
import time
from types import SimpleNamespace

import pytest
from datasette.database import QueryInterrupted

from scripts.settings import SETTINGS

from .test_plugins import plugin_module

LIMIT = SETTINGS["sql_time_limit_ms"] / 1000
RUNAWAY = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
CLIENTS = (f"test-client-{n}" for n in itertools.count())


def as_client(name=None):
    return {"fly-client-ip": name or next(CLIENTS)}


async def timed(ds, path, headers=None, **params):
    started = time.perf_counter()
    response = await ds.client.get(path, params=params, headers=headers or as_client())
    return response, time.perf_counter() - started


@pytest.mark.parametrize("sql, error", [
    ("select zeroblob(200000000)", "string or blob too big"),
    ("select length(randomblob(1000000000))", "string or blob too big"),
    ("with recursive c(x) as (select 1 union all select x + 1 from c limit 1001) select "
     + ", ".join(f"printf('%.99000c', 'x') as c{i}" for i in range(60)) + " from c", "result is larger than 32 MB"),
    ("select length(group_concat(printf('%.200000c', 'x'))) from persons", "string or blob too big"),
])
async def test_a_query_asking_for_gigabytes_is_refused_at_once(ds, sql, error):
    response, took = await timed(ds, "/conscience.json", sql=sql)
    assert response.status_code == 400 and error in response.json()["error"] and took < LIMIT


async def test_printf_never_loops_past_the_time_limit(ds):
    """printf's precision is a loop in SQLite, even for a result too long to keep: 23 s for a one-second limit."""
    sql = "select count(printf('%.*c', 100000000 + length(name), 'x')) from persons"
    response, took = await timed(ds, "/conscience.json", sql=sql)
    assert response.status_code == 200 and response.json()["rows"] == [[0]] and took < LIMIT
    ok, _ = await timed(ds, "/conscience.json", sql="select printf('%5.2f|%,d|%q', 3.14159, 1234567, 'it''s')",
                        _shape="array")
    assert list(ok.json()[0].values()) == [" 3.14|1,234,567|it''s"]


async def test_a_runaway_query_is_cut_at_the_time_limit_as_datasette_cuts_it(ds):
    response, took = await timed(ds, "/conscience.json", sql=RUNAWAY)
    assert response.status_code == 400 and "SQL query took too long" in response.json()["error"]
    assert took < LIMIT + 0.5


async def test_a_where_clause_runs_once_without_count_or_facets(ds):
    """_where= is arbitrary SQL too: it takes its turn, and runs its rows alone (each facet would run it again)."""
    response, took = await timed(ds, "/conscience/persons.json", _where="length(randomblob(200000)) = 0")
    assert response.status_code == 400 and took < LIMIT + 0.5
    fine, _ = await timed(ds, "/conscience/persons.json", _where="status = 'detained'", _size=1)
    assert fine.status_code == 200 and fine.json()["facet_results"] == {} and fine.json()["rows"]


async def test_a_client_has_one_query_under_way_and_a_budget_of_sql_time(ds):
    client = as_client()
    (first, _), (second, took) = await asyncio.gather(
        timed(ds, "/conscience.json", client, sql=RUNAWAY), timed(ds, "/conscience.json", client, sql="select 1"))
    assert first.status_code == 400 and second.status_code == 429 and took < LIMIT / 2  # at once, not after it
    assert second.headers["retry-after"] == "1" and "still running" in second.json()["error"]
    statuses = []
    while 429 not in statuses and len(statuses) < 5:  # runaway queries spend the burst, a few seconds of SQL time
        statuses.append((await timed(ds, "/conscience.json", client, sql=RUNAWAY))[0].status_code)
    spent, took = await timed(ds, "/conscience.json", client, sql="select 1")
    assert statuses[-1] == 429 and len(statuses) <= 4
    assert spent.status_code == 429 and int(spent.headers["retry-after"]) >= 1 and took < LIMIT / 2
    other, _ = await timed(ds, "/conscience.json", sql="select 1")  # another visitor is served
    assert other.status_code == 200


async def test_a_refusal_keeps_the_query_on_the_sites_page(ds):
    await ds.invoke_startup()
    client = as_client()
    sql = "select name from persons where name like '%<b>%'"
    waiting = asyncio.ensure_future(timed(ds, "/conscience", client, sql=RUNAWAY))
    await asyncio.sleep(0.2)
    page, _ = await timed(ds, "/conscience", client, sql=sql)
    await waiting
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert '<textarea id="sql-editor" name="sql"' in page.text
    assert "select name from persons where name like &#39;%&lt;b&gt;%&#39;" in page.text
    assert "<b>" not in page.text.split("<textarea")[1].split("</textarea>")[0]


async def test_pages_do_not_wait_while_arbitrary_sql_runs(ds):
    async def page_soon():
        await asyncio.sleep(0.1)
        return await timed(ds, "/conscience/persons.json", _size=5, _nocache="1")

    (runaway, _), (page, page_took) = await asyncio.gather(timed(ds, "/conscience.json", sql=RUNAWAY), page_soon())
    assert runaway.status_code == 400 and page.status_code == 200 and page_took < LIMIT / 2


async def test_a_page_asking_for_too_many_facets_is_refused(ds):
    response = await ds.client.get("/conscience/persons.json?" + "&".join(["_facet=country"] * 11))
    assert response.status_code == 400 and "at most 10 facets" in response.json()["error"]


async def test_a_waiting_visitor_goes_before_clients_that_keep_the_database_busy(monkeypatch):
    """Turns: the next turn goes to the waiting client that has asked least lately; a full queue makes room for it."""
    gate = plugin_module("sql_gate")
    monkeypatch.setattr(gate, "WAITING", 3)
    turns, served = gate.Turns(), []

    async def visit(name, asked, hold=0.01):
        if await turns.take(SimpleNamespace(asked=asked)):
            served.append(name)
            await asyncio.sleep(hold)
            turns.give_back()
        else:
            served.append(f"{name} refused")

    first = asyncio.ensure_future(visit("running", 1, hold=0.2))
    await asyncio.sleep(0.05)
    waiting = [asyncio.ensure_future(visit(name, asked)) for name, asked in [("busy 1", 9), ("busy 2", 5), ("busy 3", 7)]]
    await asyncio.sleep(0.01)
    waiting.append(asyncio.ensure_future(visit("visitor", 1)))
    await asyncio.gather(first, *waiting)
    assert served == ["running", "busy 1 refused", "visitor", "busy 2", "busy 3"]


async def test_searches_take_turns_and_a_flood_of_them_is_told_to_wait(monkeypatch):
    """The search page asked with new words (a flood avoiding the page cache) runs one search at a time; those that
    find no turn are a 503 that says so, and other pages never wait for a search."""
    gate_module = plugin_module("sql_gate")
    monkeypatch.setattr(gate_module, "WAITING", 1)
    monkeypatch.setattr(gate_module, "WAIT_SECONDS", 0.3)  # the one waiting gets the next turn; the rest no place
    running, most = collections.Counter(), collections.Counter()

    async def app(scope, receive, send):
        running[scope["path"]] += 1
        most[scope["path"]] = max(most[scope["path"]], running[scope["path"]])
        await asyncio.sleep(0.2)
        running[scope["path"]] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    gate = gate_module.Gate(app, SimpleNamespace(plugin_config=lambda name: {"client_ip_header": "fly-client-ip"}))

    async def ask(path, query, client):
        sent = []

        async def send(message):
            sent.append(message)

        await gate({"type": "http", "path": path, "client": ("127.0.0.1", 1), "query_string": query,
                    "headers": [(b"fly-client-ip", client), (b"accept", b"application/json")]}, None, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    searches = [ask("/search", f"q={word}".encode(), f"flood-{n}".encode())
                for n, word in enumerate(["Tibetan", "Uyghur", "Falun", "Nguyen", "Liu", "Wang"])]
    *answers, page = await asyncio.gather(*searches, ask("/conscience/persons.json", b"_size=5", b"reader"))
    assert page[0] == 200 and most["/search"] == 1
    assert sorted(status for status, _ in answers) == [200, 200, 503, 503, 503, 503]
    assert all(b"Many searches are running" in body for status, body in answers if status == 503)


async def test_a_wait_ends_with_a_refusal_and_the_queue_stays_bounded(monkeypatch):
    gate = plugin_module("sql_gate")
    monkeypatch.setattr(gate, "WAIT_SECONDS", 0.1)
    monkeypatch.setattr(gate, "WAITING", 2)
    turns = gate.Turns()
    assert await turns.take(SimpleNamespace(asked=1))  # the running one, never giving its turn back
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(turns.take(SimpleNamespace(asked=1)) for _ in range(4)))
    assert outcomes == [False] * 4 and time.perf_counter() - started < 0.5
    assert turns.waiting == [] and turns.running == 1


def test_the_watchdog_interrupts_the_work_it_timed_and_nothing_after_it():
    """A statement whose every step is slow (here a function that sleeps; under load, a busy interpreter) passes the
    time checks late: the watchdog interrupts it from another thread, just past its limit. A cursor left open after
    its work ended (a result cut at the row limit) keeps its statement open: nothing is interrupted then, nor later."""
    import sqlite3

    watchdog = plugin_module("sql_limits").Watchdog()
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.create_function("slowly", 1, lambda x: time.sleep(0.05) or x)
    watchdog.watch(0.3)
    started = time.perf_counter()
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        watchdog.run_timed(lambda c: c.execute("with recursive c(x) as (select 1 union all select x + 1 from c "
                                               "limit 100) select sum(slowly(x)) from c").fetchall(), conn)
    assert time.perf_counter() - started < 0.5
    cut_short = watchdog.run_timed(lambda c: c.execute("with recursive c(x) as (select 1 union all select x + 1 "
                                                       "from c limit 5000) select x from c"), conn)
    assert cut_short.fetchone() == (1,)
    time.sleep(0.6)  # twice the limit, the cursor still open
    assert watchdog.run_timed(lambda c: c.execute("select 1").fetchall(), conn) == [(1,)]
    assert len(cut_short.fetchall()) == 4999


async def test_a_client_that_keeps_asking_gets_its_refusals_slowly(monkeypatch):
    """Refusals sent at once to a flood of requests cost the server as much as readers' pages: a client past
    SLOWED_AFTER requests lately waits SLOWED_SECONDS for each refusal, and sends nothing meanwhile."""
    gate_module = plugin_module("sql_gate")
    monkeypatch.setattr(gate_module, "SLOWED_AFTER", 3)
    monkeypatch.setattr(gate_module, "SLOWED_SECONDS", 0.2)
    datasette = SimpleNamespace(plugin_config=lambda name: {"client_ip_header": "fly-client-ip"})
    gate = gate_module.Gate(None, datasette)
    scope = {"type": "http", "path": "/conscience/persons.json", "client": ("127.0.0.1", 1),
             "query_string": "&".join(["_facet=country"] * 11).encode(), "headers": [(b"fly-client-ip", b"flood")]}
    sent, took = [], []

    async def send(message):
        sent.append(message)

    for _ in range(5):
        started = time.perf_counter()
        await gate(scope, None, send)
        took.append(time.perf_counter() - started)
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [400] * 5
    assert max(took[:3]) < 0.1 and min(took[3:]) >= 0.2


@pytest.mark.slow
async def test_results_cut_at_the_row_limit_leave_every_page_answering(ds, metadata):
    """Queries whose results pass the row limit (the search page, canned queries, table pages, ?sql=) leave nothing
    open behind them: once the watchdog's limit has passed after each, pages still answer, and every page kind after
    them all."""
    from .test_site import PAGE_KINDS

    canned = {"search": "q=Tibetan", "detained_under_article": "article=105&country=CN"}
    cut = ["/search?q=Tibetan", "/conscience?sql=select+*+from+person_issues", "/conscience/person_issues.json?_size=max",
           "/conscience/persons?_search=Tibetan&_size=max"]
    cut += [f"/conscience/{name}.json?{canned.get(name, '')}" for name in metadata["databases"]["conscience"]["queries"]]

    async def answers(path):
        response = await ds.client.get(path, headers=as_client(), cookies={"made": "anew"}, follow_redirects=True)
        assert response.status_code == 200, (path, response.text[:300])

    for path in cut:
        await answers(path)
        await asyncio.sleep(LIMIT + 0.4)  # past the watchdog's limit and grace
        for page in ("/", "/conscience/persons", "/person/jiang-tianyong"):
            await answers(page)
    for path in PAGE_KINDS:
        await answers(path)


@pytest.mark.slow
async def test_no_innocent_query_is_refused_after_stopped_ones(ds):
    """100 queries stopped by the result budget or the time limit, each followed by innocent ones, at once or after the
    watchdog's limit has passed: all answer."""
    stopped = ["select zeroblob(250000) from records limit 100"] * 9 + [RUNAWAY]
    refused = []
    for n in range(100):
        await ds.client.get("/conscience.json", params={"sql": stopped[n % 10]}, headers=as_client())
        if n % 5 == 4:
            await asyncio.sleep(LIMIT + 0.4)
        for path in ("/conscience.json?sql=select+count(*)+from+persons", "/conscience/persons.json?_size=3"):
            response = await ds.client.get(path, headers=as_client(), cookies={"made": "anew"})
            if response.status_code != 200:
                refused.append((n, path, response.text[:200]))
    assert refused == []


async def test_a_request_with_thousands_of_parameters_is_refused_at_once_and_readers_go_on(ds):
    many = "&".join(f"p{n}=1" for n in range(6000))
    reader = asyncio.ensure_future(timed(ds, "/conscience/persons.json", _size=5, _nocache="1"))
    started = time.perf_counter()
    response = await ds.client.get("/conscience/persons.json?" + many)
    took = time.perf_counter() - started
    assert response.status_code == 400 and "at most 256 parameters" in response.json()["error"] and took < 0.2
    (page, page_took) = await reader
    assert page.status_code == 200 and page_took < LIMIT / 2


@pytest.mark.parametrize("facet", ["_facet", "%5Ffacet", "_f%61cet", "_facet_array", "%5Ffacet%5Farray"])
async def test_facets_are_counted_as_datasette_decodes_them(ds, facet):
    response = await ds.client.get("/conscience/persons.json?" + "&".join([f"{facet}=country"] * 11))
    assert response.status_code == 400 and "at most 10 facets" in response.json()["error"]


async def test_an_address_longer_than_any_query_is_refused_before_it_is_read(ds):
    """httpx itself refuses such an address, so the site's application is called as the server would call it."""
    await ds.invoke_startup()
    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/conscience/persons", "raw_path": b"/conscience/persons",
             "query_string": b"sql=" + b"x" * (129 * 1024), "headers": [(b"accept", b"text/html")], "root_path": "",
             "scheme": "http", "http_version": "1.1", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8001)}
    await ds.app()(scope, None, send)
    body = b"".join(m.get("body", b"") for m in sent)
    assert sent[0]["status"] == 414 and b"too long" in body and b"x" * 100 not in body


@pytest.mark.parametrize("suffix", [".json", ".csv", ""])
async def test_a_result_larger_than_its_budget_as_written_is_refused(ds, suffix):
    """Blobs are written in JSON as six bytes each (\\u0000): 25 MB of them would have been a 150 MB answer."""
    response = await ds.client.get(f"/conscience{suffix}", params={"sql": "select zeroblob(250000) from records "
                                                                   "limit 100"}, headers=as_client())
    assert response.status_code == 400 and len(response.content) < 100_000
    if suffix == ".csv":
        assert response.text.startswith("The query could not be run") and "/conscience.json?sql=" in response.text


async def test_a_page_of_ours_whose_own_query_is_cut_is_a_503_not_a_500(ds, monkeypatch):
    """Our pages run their queries themselves: under load one cut at its limit raised QueryInterrupted, a 500."""
    async def interrupted(sql, *args, **kwargs):
        raise QueryInterrupted(sqlite3.OperationalError("interrupted"), sql, {})

    await ds.invoke_startup()  # before its queries are cut
    monkeypatch.setattr(ds.get_database("conscience"), "execute", interrupted)
    for path in ["/search?q=Tibetan", "/person/jiang-tianyong"]:
        page = await ds.client.get(path, headers=as_client(), cookies={"made": "anew"})
        assert page.status_code == 503 and "took too long to make" in page.text, path


async def test_a_query_cut_at_its_limit_is_said_plainly_without_the_sql_of_our_pages(ds):
    """A page of ours cut at its limit (here one asked with a limit of 1 ms): a 503 that says so, not its SQL in a
    broken text box; a visitor's own SQL cut: a 400 that says so."""
    page = await ds.client.get("/conscience/persons?_timelimit=1&_sort=birth_year", headers=as_client(),
                               cookies={"made": "anew"})
    assert page.status_code == 503 and "took too long to make" in page.text
    assert "select " not in page.text.lower() and "<textarea" not in page.text
