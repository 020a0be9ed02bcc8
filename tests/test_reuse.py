"""Reuse (issue 30): each release's downloads and data package, citations, CORS, the schema.org Dataset description,
the API examples run as written, and the cache headers a CDN in front of the site needs."""

import csv
import io
import json
import re
import sqlite3
import threading
import urllib.request
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler
from urllib.parse import urlparse

import lxml.html
import pytest
from frictionless import validate

from scripts.derive.changes import release_id
from scripts.read import ROOT
from scripts.schema import TABLES, pk_columns, stored_columns
from scripts.write.release import folder_of

from .conftest import copy_curated_raw, serve_site
from .test_plugins import plugin_module
from .test_site import PAGE_KINDS


@pytest.fixture(scope="module")
def release(built_db):
    """(id, folder) of the built database's release files."""
    conn = sqlite3.connect(built_db)
    (current,) = conn.execute("SELECT id FROM releases ORDER BY released_on DESC LIMIT 1").fetchone()
    conn.close()
    return current, folder_of(built_db) / current


def test_the_build_writes_a_csv_per_table_and_a_data_package_beside_the_database(release, built_db):
    current, folder = release
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-[0-9a-f]{8}", current)
    assert [path.name for path in folder.parent.iterdir()] == [current]  # only the current release's files
    assert sorted(path.name for path in folder.iterdir()) == sorted([f"{name}.csv" for name in TABLES] +
                                                                    ["datapackage.json"])
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["version"] == current and package["licenses"][0]["name"] == "CC-BY-4.0"
    assert len(package["sources"]) == sqlite3.connect(built_db).execute("SELECT count(*) FROM sources").fetchone()[0]
    persons = next(r for r in package["resources"] if r["name"] == "persons")
    fields = {f["name"]: f for f in persons["schema"]["fields"]}
    assert [f["name"] for f in persons["schema"]["fields"]] == [name for name, _ in stored_columns(TABLES["persons"])]
    assert fields["birth_year"]["type"] == "integer" and fields["categories"]["type"] == "array"
    assert fields["status"]["description"].startswith("Current situation") and fields["name"]["constraints"]
    assert {"fields": "status", "reference": {"resource": "statuses", "fields": "id"}} in persons["schema"]["foreignKeys"]


def test_each_release_csv_is_byte_for_byte_what_csv_writer_writes(release, built_db):
    """scripts/write/release.py quotes in SQL and joins bytes for speed: the files must not differ from csv.writer's,
    on real rows with quotes, commas, line breaks, floats and nulls."""
    _, folder = release
    conn = sqlite3.connect(built_db)
    for name, table in TABLES.items():
        columns = [column for column, _ in stored_columns(table)]
        expected = io.StringIO(newline="")
        writer = csv.writer(expected)
        writer.writerow(columns)
        writer.writerows(conn.execute(f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM [{name}]"
                                      f" ORDER BY {', '.join(f'[{c}]' for c in pk_columns(table))}"))
        assert (folder / f"{name}.csv").read_bytes() == expected.getvalue().encode("utf-8"), name


def test_the_data_package_and_its_csvs_validate_with_frictionless(release, built_db):
    """Every CSV against its schema: types, required values, primary and foreign keys, row counts, sizes and sha256."""
    _, folder = release
    report = validate(folder / "datapackage.json")
    assert report.valid, [(task.name, [error.message for error in task.errors[:3]]) for task in report.tasks]
    conn = sqlite3.connect(built_db)
    assert {task.name: task.stats.get("rows", 0) for task in report.tasks} == {  # no count for an empty table
        name: conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0] for name in TABLES}


def test_the_release_id_is_the_date_and_a_hash_of_the_build_inputs(tmp_path):
    raw = copy_curated_raw(tmp_path / "raw")
    first = release_id("2026-01-01", raw, ["cecc-ppd"])
    assert first == release_id("2026-01-01", raw, ["cecc-ppd"]) and first.startswith("2026-01-01-")
    assert release_id("2026-01-01", raw, []) != first  # an upstream list missing from a build
    (raw / "links.csv").write_text((raw / "links.csv").read_text() + "\n", encoding="utf-8")
    assert release_id("2026-01-01", raw, ["cecc-ppd"]) != first


async def test_the_releases_page_lists_the_release_and_serves_its_files(ds, release, built_db):
    current, folder = release
    page = (await ds.client.get("/releases")).text
    assert current in page and f'href="/releases/{current}/persons.csv"' in page and 'href="/datapackage.json"' in page
    csv_file = await ds.client.get(f"/releases/{current}/persons.csv")
    assert csv_file.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_file.content == (folder / "persons.csv").read_bytes()
    database = await ds.client.get(f"/releases/{current}/conscience.db")
    assert database.content[:16] == b"SQLite format 3\x00" and len(database.content) == built_db.stat().st_size
    for missing in (f"/releases/{current}/nothing.csv", f"/releases/{current}/..%2F..%2Fconscience.db",
                    "/releases/1999-01-01-00000000/x.csv"):
        assert (await ds.client.get(missing, follow_redirects=True)).status_code == 404


async def test_the_datapackage_at_the_root_describes_the_current_release_with_paths_that_answer(ds, release):
    current, _ = release
    package = (await ds.client.get("/datapackage.json")).json()
    assert package["version"] == current and package["homepage"] == "http://localhost"
    for resource in package["resources"]:
        assert resource["path"] == f"releases/{current}/{resource['name']}.csv"
    assert (await ds.client.get("/" + package["resources"][0]["path"])).status_code == 200


@pytest.mark.parametrize("kind, id", [("person", "jiang-tianyong"), ("organization", "viasna"),
                                      ("campaign", "china-mechanism-letter"), ("charge", "CN-CL1997-105")])
async def test_every_page_kind_shows_its_citation_and_offers_bibtex_and_csl_json(ds, release, kind, id):
    current, _ = release
    page = lxml.html.fromstring((await ds.client.get(f"/{kind}/{id}")).text)
    (citation,) = page.xpath("//p[@class='citation']")
    text = " ".join(citation.text_content().split())
    assert current in text and f"http://localhost/{kind}/{id}" in text and "CC BY 4.0" in text
    assert citation.xpath(".//time[@class='accessed']/@datetime")
    links = page.xpath("//a[text()='BibTeX' or text()='CSL-JSON']/@href")
    assert links == [f"http://localhost/{kind}/{id}/cite.bib", f"http://localhost/{kind}/{id}/cite.json"]
    bib = await ds.client.get(urlparse(links[0]).path)
    assert bib.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert re.match(rf"@misc{{conscience-{kind}-{re.escape(id)},\n  title = {{{{.+}}}},\n", bib.text)
    assert f"version = {{{current}}}" in bib.text and f"url = {{http://localhost/{kind}/{id}}}" in bib.text
    (item,) = (await ds.client.get(urlparse(links[1]).path)).json()
    assert item["type"] == "dataset" and item["version"] == current and item["URL"] == f"http://localhost/{kind}/{id}"
    assert len(item["accessed"]["date-parts"][0]) == 3 and item["title"] in text
    assert bib.headers["cache-control"] == "no-store"  # dated the day it is asked for: never kept


def test_bibtex_escapes_what_a_source_may_write():
    cite = plugin_module("pages_releases")
    entry = cite.bibtex({"key": "k", "title": "50% of {A} & B_C #1 $ ~x^ \\", "publisher": "P", "release": "r",
                         "released_on": "2026-01-01", "accessed": "2026-01-02", "url": "u", "licence": "l"})
    assert r"title = {{50\% of \{A\} \& B\_C \#1 \$ \~{}x\^{} \textbackslash{}}}" in entry


CROSS_ORIGIN = {"origin": "https://example.org"}


@pytest.mark.parametrize("path", ["/conscience/persons.json?_shape=array&_size=2", "/conscience/persons.csv?_size=2",
                                  "/conscience/persons.csv?status=detained&country=BY",
                                  "/conscience/feed_changes.atom", "/conscience/feed_new_arrests.jsonfeed",
                                  "/conscience/search.json?q=Jiang", "/conscience.db", "/datapackage.json",
                                  "/person/jiang-tianyong/cite.json"])
async def test_json_csv_feeds_and_downloads_answer_any_origin(ds, path):
    response = await ds.client.get(path, headers=CROSS_ORIGIN)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"


async def test_the_release_files_answer_any_origin(ds, release):
    response = await ds.client.get(f"/releases/{release[0]}/persons.csv", headers=CROSS_ORIGIN)
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", PAGE_KINDS)
async def test_no_page_sets_a_cookie(ds, path):
    response = await ds.client.get(path, follow_redirects=True)
    assert "set-cookie" not in response.headers


# What a CDN may keep, by page kind: static files a week (a year with their hash), citations nothing (dated), the
# server's own description nothing, any other page default_cache_ttl: the database changes only with a redeploy.
CACHED = {"/-/static/app.css": "public, max-age=604800", "/-/versions.json": None,
          "/person/jiang-tianyong/cite.bib": "no-store"}


@pytest.mark.parametrize("path", PAGE_KINDS)
async def test_every_page_kind_says_how_long_it_may_be_kept(ds, path):
    response = await ds.client.get(path, follow_redirects=True)
    assert response.headers.get("cache-control") == CACHED.get(path, "max-age=3600")
    assert "Cookie" in response.headers.get("vary", "Cookie") or path.startswith("/-/static/")


async def test_a_request_with_a_cookie_is_kept_by_no_cache(ds):
    response = await ds.client.get("/person/jiang-tianyong", cookies={"session": "x"})
    assert response.headers["cache-control"] == "private, no-store"


SCHEMA_ORG = json.loads((ROOT / "tests" / "fixtures" / "schema_org.json").read_text(encoding="utf-8"))


def check_vocabulary(thing, path="Dataset"):
    """Only types and properties schema.org defines: tests/fixtures/schema_org.json lists, for each type used, the
    properties of it (or of the types it inherits from) that schema.org/<type> lists and the site may use."""
    properties = SCHEMA_ORG[thing["@type"]]
    for key, value in thing.items():
        assert key.startswith("@") or key in properties, f"{path}.{key} is not a property of {thing['@type']}"
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                check_vocabulary(item, f"{path}.{key}")


@pytest.mark.parametrize("path", ["/", "/about"])
async def test_home_and_about_describe_the_dataset_in_schema_org_terms(ds, release, path):
    page = lxml.html.fromstring((await ds.client.get(path)).text)
    (script,) = page.xpath("//script[@type='application/ld+json']")
    dataset = json.loads(script.text)
    assert dataset["@context"] == "https://schema.org" and dataset["@type"] == "Dataset"
    check_vocabulary(dataset)
    assert len(dataset["description"]) >= 50 and dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert dataset["creator"]["@type"] == "Organization" and dataset["version"] == release[0]
    assert re.fullmatch(r"\d{4}/\d{4}-\d\d-\d\d", dataset["temporalCoverage"])
    assert {"Place"} == {place["@type"] for place in dataset["spatialCoverage"]}
    assert "China" in {place["name"] for place in dataset["spatialCoverage"]}
    downloads = {d["name"]: d for d in dataset["distribution"]}
    assert downloads["conscience.db"]["encodingFormat"] == "application/vnd.sqlite3"
    assert downloads["persons.csv"]["encodingFormat"] == "text/csv"
    assert downloads["datapackage.json"]["contentUrl"] == f"http://localhost/releases/{release[0]}/datapackage.json"
    for download in dataset["distribution"]:
        assert (await ds.client.get(urlparse(download["contentUrl"]).path)).status_code == 200


def test_the_schema_org_terms_used_are_schema_orgs():
    """The committed list names only schema.org's types, and properties that are theirs (a few checked by hand)."""
    assert set(SCHEMA_ORG) == {"Dataset", "DataDownload", "Organization", "Place"}
    assert {"temporalCoverage", "spatialCoverage", "distribution", "license", "creator"} <= set(SCHEMA_ORG["Dataset"])
    assert {"contentUrl", "encodingFormat"} <= set(SCHEMA_ORG["DataDownload"]) and "distribution" not in SCHEMA_ORG["Place"]


@pytest.fixture(scope="module")
def site(built_db):
    """A real server of the built database, its release files beside it."""
    server, base = serve_site(built_db)
    yield base
    server.terminate()
    server.wait(timeout=10)


def code_examples(base):
    """{language: code} as the about page shows them."""
    page = lxml.html.fromstring(urllib.request.urlopen(base + "/about", timeout=30).read())
    return {pre.getprevious().text_content().rstrip(":"): pre.text_content()
            for pre in page.xpath("//pre[@class='example']")}


def detained_in_belarus(base):
    with urllib.request.urlopen(base + "/conscience/persons.json?status=detained&country=BY&_size=0", timeout=30) as r:
        return json.load(r)["filtered_table_rows_count"]


@pytest.mark.slow
def test_the_pandas_example_runs_as_written(site):
    code = code_examples(site)["Python, with pandas"]
    assert code.startswith("import pandas as pd\n") and site in code
    namespace = {}
    exec(code, namespace)
    detained = namespace["detained"]
    assert len(detained) == detained_in_belarus(site) > 0
    assert list(detained.columns) == [name for name, _ in stored_columns(TABLES["persons"])]


@pytest.mark.slow
def test_the_r_example_asks_for_what_read_csv_reads(site):
    """R is not installed here: the URL its line reads answers a CSV as read.csv takes it (a header row, commas,
    RFC 4180 quoting with doubled quotes, UTF-8), every row of the filter, each with every column."""
    code = code_examples(site)["R"]
    (url,) = re.findall(r'read\.csv\("([^"]+)", encoding = "UTF-8"\)', code)
    assert url.startswith(site)
    with urllib.request.urlopen(url, timeout=30) as response:
        text = response.read().decode("utf-8")  # strict: read.csv(encoding = "UTF-8") reads it as UTF-8
    assert not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=",", quotechar='"', doublequote=True))
    header, rows = rows[0], rows[1:]
    assert header == [name for name, _ in stored_columns(TABLES["persons"])]
    assert len(rows) == detained_in_belarus(site) and {len(row) for row in rows} == {len(header)}


@pytest.mark.slow
def test_the_fetch_example_runs_in_a_page_of_another_site(site, tmp_path):
    """The JavaScript line, run by Chromium in a page served from another origin (another port)."""
    from .test_browser import CHROMIUM, sync_api

    code = code_examples(site)["JavaScript, in a page of any other site"]
    (tmp_path / "index.html").write_text("<!doctype html><title>elsewhere</title>", encoding="utf-8")
    elsewhere = HTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{elsewhere.server_address[1]}/")
            assert page.evaluate("location.origin") != site
            found = page.evaluate(f"async () => {{ {code} return detained.map(person => person.country); }}")
            browser.close()
    finally:
        elsewhere.shutdown()
    assert found == ["BY"] * detained_in_belarus(site)


@pytest.mark.slow
def test_the_served_data_package_validates_from_its_address(site):
    report = validate(site + "/datapackage.json")
    assert report.valid, [(task.name, [error.message for error in task.errors[:3]]) for task in report.tasks]
