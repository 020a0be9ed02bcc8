"""Each plugin in plugins/, tested through the app."""

import pytest

from scripts.read import ROOT

# A request with a cookie is never answered from plugins/responses.py's page cache: for tests that must see a page made anew.
MADE_ANEW = {"cookie": "test=made-anew"}


def plugin_module(name):
    """A fresh copy of plugins/<name>.py as a module (Datasette loads plugins by path, not as a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"{name}_under_test", ROOT / "plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_security_headers_are_on_every_response(ds):
    for path in ["/", "/conscience/persons.json", "/-/static/app.css"]:
        response = await ds.client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


async def test_the_content_security_policy_names_every_inline_script_the_site_writes_and_no_other(ds):
    import re

    responses = plugin_module("responses")
    await ds.invoke_startup()
    for path in ["/", "/conscience", "/conscience/persons", "/conscience/persons_map", "/person/jiang-tianyong",
                 "/conscience?sql=select+1", "/conscience/persons/jiang-tianyong"]:
        response = await ds.client.get(path, headers=MADE_ANEW)
        policy = response.headers["content-security-policy"]
        scripts = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
        assert scripts and all(responses.script_hash(script) in policy for script in scripts), path
        assert responses.script_hash("alert(1)") not in policy and "'unsafe-inline'" not in policy.split(
            "style-src")[0]


async def test_the_databases_list_gives_no_server_path(ds, built_db):
    await ds.invoke_startup()
    listed = (await ds.client.get("/-/databases.json")).json()
    assert [db["name"] for db in listed] == ["conscience"] and listed[0]["hash"] and "path" not in listed[0]
    page = (await ds.client.get("/-/databases")).text
    assert str(built_db.parent) not in page and listed[0]["hash"] in page


async def default_facets(ds, query=""):
    response = await ds.client.get(f"/conscience/persons.json?_size=0&_facet_size=max{query}")
    return {name: (facet["type"], {r["value"]: r["count"] for r in facet["results"]})
            for name, facet in response.json()["facet_results"].items()}


async def test_default_facets_give_the_counts_the_database_holds(ds, conn):
    """immutable: column and array facets, counted once and remembered, equal plain GROUP BYs."""
    for query, where in [("", ""), ("&status=detained", "WHERE status = 'detained'")]:
        facets = await default_facets(ds, query)
        for column in ("status", "country", "sex", "status_confirmed"):
            expected = conn.execute(f"SELECT {column}, count(*) FROM persons {where} GROUP BY 1").fetchall()
            assert facets[column] == ("column", {v: n for v, n in expected if v is not None})
        for column in ("categories", "charges"):
            expected = conn.execute(f"SELECT j.value, count(DISTINCT persons.id) FROM persons, "
                                    f"json_each(persons.{column}) j {where} GROUP BY 1").fetchall()
            assert facets[column] == ("array", dict(expected))
    assert await default_facets(ds, "&status=detained") == facets  # a second time, from what was remembered


async def test_default_facets_are_counted_at_startup_and_shown_as_datasette_facets(built_db, metadata):
    from tests.conftest import make_datasette

    ds = make_datasette(built_db, metadata)  # its own: the shared site's remembered results are a bounded LRU
    await ds.invoke_startup()
    remembered = " ".join(sql for _, sql, _ in ds._remembered_facet_results)
    assert "from persons" in remembered and "json_each(inner_rows.categories)" in remembered
    assert "select * from person_charges" in remembered  # views' facets too
    page = (await ds.client.get("/conscience/persons")).text
    assert "categories (array)" in page and "(counted)" not in page and "(tags)" not in page
    assert "categories__arraycontains=religious" in page


async def test_facets_counted_at_startup_may_take_longer_than_a_visitors_query(built_db):
    """immutable: a count that Datasette's time limit would cut is finished at startup, and remembered."""
    from datasette.app import Datasette
    from datasette.database import QueryInterrupted

    immutable = plugin_module("immutable")
    site = Datasette(immutables=[str(built_db)], settings={"sql_time_limit_ms": 20})
    slow = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000000) select count(*) from n"
    with pytest.raises(QueryInterrupted):
        await site.execute("conscience", slow)
    at_startup = immutable.RememberingDatasette(site, time_limit_ms=immutable.STARTUP_TIME_LIMIT_MS)
    assert (await at_startup.execute("conscience", slow)).rows[0][0] == 2_000_000
    assert (await immutable.RememberingDatasette(site).execute("conscience", slow)).rows[0][0] == 2_000_000


async def test_list_columns_never_repeat_a_value(conn):
    """The tags facet counts json_each rows: it is right only if no array holds a value twice."""
    for table, column in [("persons", "categories"), ("persons", "charges"), ("persons", "sources"),
                          ("persons", "issues"), ("reprisals", "un_mechanisms"), ("reprisals", "reprisal_types")]:
        assert conn.execute(f"SELECT count(*) FROM {table}, json_each({table}.{column}) j "
                            f"GROUP BY {table}.rowid, j.value HAVING count(*) > 1").fetchall() == []


async def test_startup_freezes_what_exists_out_of_garbage_collection(ds):
    import gc

    await ds.invoke_startup()
    assert gc.get_freeze_count() > 0


def functions_run_on_the_database(ds, monkeypatch):
    """The names of the functions the conscience database runs in its SQL threads from now on, as a live list."""
    db = ds.get_database("conscience")
    names, original = [], db.execute_fn

    async def recording(fn):
        names.append(fn.__qualname__)
        return await original(fn)

    monkeypatch.setattr(db, "execute_fn", recording)
    return names


async def test_an_immutable_databases_schema_is_read_once_and_a_mutable_ones_every_time(ds, monkeypatch):
    """immutable: a second persons page runs only queries, no schema readers; an in-memory database still reads."""
    await ds.client.get("/conscience/persons", headers=MADE_ANEW)
    reads = functions_run_on_the_database(ds, monkeypatch)
    page = await ds.client.get("/conscience/persons", headers=MADE_ANEW)
    assert page.status_code == 200 and reads  # the rows and labels are still queried
    assert all(read == "Database.execute.<locals>.sql_operation_in_thread" for read in reads), reads

    memory = ds.add_memory_database("schema_read_every_time")
    try:
        assert await memory.table_names() == []
        await memory.execute_write("create table added_later (id integer)")
        assert await memory.table_names() == ["added_later"]
    finally:
        ds.remove_database("schema_read_every_time")


async def test_what_the_schema_plugin_remembers_is_bounded_by_the_schema(ds):
    """2,000 addresses naming tables that do not exist leave nothing remembered (the issue found 6,001 entries)."""
    await ds.client.get("/conscience/persons", headers=MADE_ANEW)
    db = ds.get_database("conscience")
    before = dict(db._schema_answers)
    for number in range(2000):
        assert (await ds.client.get(f"/conscience/no_such_table_{number}", headers=MADE_ANEW)).status_code == 404
    assert db._schema_answers == before and not await db.table_exists("no_such_table_1")
    tables = len(await db.table_names()) + len(await db.view_names())
    assert len(db._schema_answers) <= 15 * tables


async def test_table_values_are_datasettes_own_on_every_table_and_a_render_cell_plugin_is_still_asked(ds, conn, monkeypatch):
    """table_view: the same table markup as Datasette's display_columns_and_rows gives, on every table and view."""
    import re

    import datasette.views.table as table_view
    from datasette import hookimpl
    from datasette.plugins import pm

    await ds.client.get("/")  # startup: the plugin puts its function in place
    ours = table_view.display_columns_and_rows
    assert ours.__module__.startswith("table_view")  # plugins/, loaded by file
    names = [name for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view') "
                                              "and name not like '%_fts%' and name not like 'sqlite_%'")]

    async def table_markup(path):
        html = (await ds.client.get(path, headers=MADE_ANEW)).text
        return html[html.index('<div class="table-wrapper">'):html.index("</table>")] if "</table>" in html else ""

    pages = {}
    for name in names:
        pages[name] = await table_markup(f"/conscience/{name}?_size=200")
    monkeypatch.setattr(table_view, "display_columns_and_rows", ours.__wrapped__)
    for name in names:
        assert await table_markup(f"/conscience/{name}?_size=200") == pages[name], name
    assert sum(bool(markup) for markup in pages.values()) >= 20, "most tables and views have rows to compare"
    monkeypatch.setattr(table_view, "display_columns_and_rows", ours)

    class ShoutingCells:
        @hookimpl
        def render_cell(self, value, column):
            return "SHOUT" if column == "publisher" else None

    plugin = ShoutingCells()
    pm.register(plugin, name="shouting_cells")
    try:
        sources = await table_markup("/conscience/sources")
    finally:
        pm.unregister(plugin)
    assert re.search(r'class="col-publisher type-str">SHOUT</td>', sources)


async def test_a_page_asked_for_again_is_sent_as_made_without_running_sql(ds, monkeypatch):
    """responses' page cache: same bytes, no SQL; with a cookie, or for ?sql=, the page is made anew."""
    path = "/conscience/persons?status=detained&_sort=name"
    first = await ds.client.get(path)
    ran = functions_run_on_the_database(ds, monkeypatch)
    again = await ds.client.get(path)
    assert again.status_code == 200 and again.content == first.content and dict(again.headers) == dict(first.headers)
    assert ran == []
    await ds.client.get(path, headers=MADE_ANEW)
    assert ran
    ran.clear()
    for _ in range(2):
        await ds.client.get("/conscience.json", params={"sql": "select count(*) from persons"})
    assert len(ran) >= 2


async def test_only_whole_successful_cookieless_responses_are_remembered_and_the_oldest_forgotten():
    """responses' page cache, with a stand-in app: what is kept, what is passed on, what is forgotten."""
    from types import SimpleNamespace

    responses = plugin_module("responses")

    site = SimpleNamespace(databases={"conscience": SimpleNamespace(is_mutable=False)})
    made = []

    async def app(scope, receive, send):
        made.append(scope["path"])
        status, headers, chunks = {
            "/page": (200, [], [b"a" * 10, b"b" * 10]),
            "/missing": (404, [], [b"not found"]),
            "/sets-cookie": (200, [(b"set-cookie", b"x=1")], [b"hello"]),
            "/huge": (200, [], [b"z" * responses.MAX_RESPONSE_BYTES, b"z"]),
        }[scope["path"]]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for number, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": number < len(chunks) - 1})

    wrapped = responses.remembering(app, site)

    async def get(path):
        sent = []

        async def send(message):
            sent.append(message)

        await wrapped({"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}, None, send)
        return sent[0]["status"], b"".join(message.get("body", b"") for message in sent[1:])

    for path in ["/page", "/missing", "/sets-cookie", "/huge"]:
        first, second = await get(path), await get(path)
        assert first == second
    assert made == ["/page", "/missing", "/missing", "/sets-cookie", "/sets-cookie", "/huge", "/huge"]
    assert (await get("/page"))[1] == b"a" * 10 + b"b" * 10

    remembered = responses.Remembered(max_bytes=10)
    for key in ["one", "two", "three"]:
        remembered.put(key, {"status": 200}, b"1234")
    remembered.get("two")
    remembered.put("four", {"status": 200}, b"1234")
    assert list(remembered.responses) == ["two", "four"] and remembered.bytes == 8


def datasette_names_rebound(source):
    """The names a plugin imports from Datasette and then assigns an attribute of (`TableView.data = ...`, setattr)."""
    import ast

    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("datasette"):
            imported |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.asname for alias in node.names if alias.name.startswith("datasette.") and alias.asname}
    assigned = {target.value for node in ast.walk(tree) if isinstance(node, ast.Assign) for target in node.targets
                if isinstance(target, ast.Attribute)}
    assigned |= {node.args[0] for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Name) and node.func.id == "setattr"}
    return {name.id for name in assigned if isinstance(name, ast.Name) and name.id in imported}


def test_every_plugin_that_replaces_part_of_datasette_names_its_version_and_checks_it():
    """A plugin that rebinds something of Datasette's applies only on the version it names in WRITTEN_FOR, checked at
    startup, and imports Datasette's internals only on that version (so that any other starts)."""
    import re

    replacing = {path.name: datasette_names_rebound(path.read_text()) for path in (ROOT / "plugins").glob("*.py")}
    replacing = {name: rebound for name, rebound in replacing.items() if rebound}
    assert replacing == {"table_view.py": {"table_view", "TableView"},
                         "immutable.py": {"Database", "Datasette"}, "sql_limits.py": {"Database"},
                         "instance.py": {"handle_exception"}}
    for name in replacing:
        text = (ROOT / "plugins" / name).read_text()
        assert re.search(r'^WRITTEN_FOR = "[\d.]+(a\d+)?"', text, re.M), name
        assert "APPLIES = datasette.__version__ == WRITTEN_FOR\nif APPLIES:" in text and "if not APPLIES:" in text, name


def test_a_plugin_written_for_another_datasette_steps_aside_with_one_line(monkeypatch, capsys):
    import datasette
    import datasette.views.table as table_view

    before = table_view.display_columns_and_rows
    monkeypatch.setattr(datasette, "__version__", "1.0a41")
    data = table_view.TableView.data
    plugin_module("table_view").startup()
    assert table_view.display_columns_and_rows is before and table_view.TableView.data is data
    assert capsys.readouterr().err.splitlines() == [
        "conscience: plugins/table_view.py was written for Datasette 0.65.5, not 1.0a41: it steps aside; Datasette's "
        "own display_columns_and_rows works out table cells, and sorted tables page as Datasette pages them (check "
        "that rows that tie are sent once)"]

    plugin_module("immutable").startup(None)
    assert "immutable.py was written for Datasette 0.65.5, not 1.0a41" in capsys.readouterr().err

    from datasette.database import Database

    execute_fn = Database.execute_fn
    plugin_module("sql_limits").startup(None)
    assert Database.execute_fn is execute_fn
    assert "sql_limits.py was written for Datasette 0.65.5, not 1.0a41" in capsys.readouterr().err

    from jinja2 import Environment

    instance = plugin_module("instance")
    env = Environment()
    instance.prepare_jinja2_environment(env)
    assert env.loader is None and "step aside" in capsys.readouterr().err
    instance.startup()
    assert "instance.py was written for Datasette 0.65.5, not 1.0a41" in capsys.readouterr().err


async def test_an_error_page_prints_no_traceback_even_with_rich_installed(ds, monkeypatch):
    """instance: Datasette 0.65.5 prints each error's traceback with its locals through rich when it can
    (0.7 s a page): never on this site."""
    import datasette.handle_exception

    printed = []

    class Rich:  # what Datasette calls of rich
        def get_console(self):
            return self

        def print_exception(self, **options):
            printed.append(options)

    monkeypatch.setattr(datasette.handle_exception, "rich", Rich())
    await ds.invoke_startup()
    plugin_module("instance").startup()
    assert (await ds.client.get("/person/no-such-person")).status_code == 404
    assert printed == []
