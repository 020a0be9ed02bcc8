"""The site as served: every table, view and canned query, facets, search, map and settings."""

import json

import pytest

from scripts.schema import TABLES, stored_columns
from scripts.write.views import VIEWS, WRITTEN_AS_TABLES

pytestmark = pytest.mark.pages

CANNED_COLUMNS = {
    "search?q=Liu+Xiaobo": ["id", "name", "name_native", "status", "status_as_of", "country", "matched_in", "sources"],
    "detained_under_article?article=105&country=": [
        "id", "name", "name_native", "status", "status_as_of", "country", "charge_id", "law", "article",
        "title_en", "charge_as_written", "detained_on", "sentenced_on"],
    "detentions_per_year_per_charge": ["year", "charge_id", "law", "article", "title_en", "detentions"],
    "organisations_in_several_campaigns": ["id", "name", "campaigns", "campaign_ids"],
    "reprisals_by_un_mechanism": ["un_mechanism", "mechanism_name", "mechanism_kind", "targets", "cases", "states"],
    "reported_vs_counted": ["source_id", "metric", "country", "as_of", "reported", "dataset_count",
                            "dataset_counts_what", "upstream_ref"],
    "feed_changes": ["atom_id", "atom_title", "atom_updated", "atom_content", "atom_link", "atom_category", "date",
                     "released_on", "country"],
    **{feed: ["atom_id", "atom_title", "atom_updated", "atom_content", "atom_link", "atom_category", "date",
              "date_precision", "released_on", "country", "source_id", "upstream_ref"]
       for feed in ("feed_new_arrests", "feed_releases", "feed_events")},
}


async def rows(get, path):
    separator = "&" if "?" in path else "?"
    return (await get(f"/conscience/{path}{separator}_shape=array&_size=max")).json()


@pytest.mark.parametrize("table", TABLES)
async def test_every_table_answers_with_its_declared_columns(get, table):
    data = (await get(f"/conscience/{table}.json")).json()
    assert data["columns"] == [name for name, _ in stored_columns(TABLES[table])]


@pytest.mark.parametrize("view", VIEWS)
async def test_every_view_answers(get, conn, view):
    data = (await get(f"/conscience/{view}.json")).json()
    expected = [d[0] for d in conn.execute(f"SELECT * FROM [{view}] LIMIT 0").description]
    rowid = ["rowid"] if view in WRITTEN_AS_TABLES else []  # a table with no key of its own: Datasette shows its rowid
    assert data["columns"] == rowid + expected and data["rows"]


@pytest.mark.parametrize("query", CANNED_COLUMNS)
async def test_every_canned_query_answers_with_its_columns(get, query, metadata):
    assert set(metadata["databases"]["conscience"]["queries"]) == {q.split("?")[0] for q in CANNED_COLUMNS}
    name, _, params = query.partition("?")
    data = (await get(f"/conscience/{name}.json?{params}")).json()
    assert data["columns"] == CANNED_COLUMNS[query]
    assert data["rows"]


# One request to every kind of page the site serves, with what it must answer: also run by CI on Datasette 1.0.
# (A persons table searched with ?_search= is a page kind too: it shows the best matches above the table.)
PAGE_KINDS = {
    "/": "text/html", "/about": "text/html", "/conscience": "text/html", "/conscience/persons": "text/html",
    "/conscience/persons/jiang-tianyong": "text/html", "/conscience/persons_map": "text/html",
    "/conscience/person_charges?person_id=jiang-tianyong": "text/html",
    "/conscience/detained_under_article?article=342&country=BY": "text/html",
    "/conscience?sql=select+count(*)+from+persons": "text/html",
    "/person/jiang-tianyong": "text/html", "/organization/viasna": "text/html",
    "/campaign/china-mechanism-letter": "text/html", "/charge/CN-CL1997-105": "text/html", "/search?q=Jiang": "text/html",
    "/conscience/persons.json?_search=Jiang": "application/json", "/conscience/persons?_search=Jiang": "text/html",
    "/conscience/persons.csv?_size=10": "text/plain",
    "/conscience/feed_events.atom": "application/atom+xml", "/conscience/feed_events.jsonfeed": "application/feed+json",
    "/robots.txt": "text/plain", "/sitemap.xml": "application/xml", "/conscience.db": "application/octet-stream",
    "/-/versions.json": "application/json", "/-/static/app.css": "text/css",
    "/releases": "text/html", "/datapackage.json": "application/json",
    "/person/jiang-tianyong/cite.bib": "application/x-bibtex",
}


@pytest.mark.parametrize("path", PAGE_KINDS)
async def test_every_page_kind_answers(ds, path):
    response = await ds.client.get(path, follow_redirects=True)  # Datasette 1.0 moved ?sql= to /<database>/-/query
    assert response.status_code == 200, (path, response.text[:500])
    assert response.headers["content-type"].split(";")[0] == PAGE_KINDS[path]
    assert response.content


async def facet(get, table, name, extra=""):
    data = (await get(f"/conscience/{table}.json?_facet{extra}={name}&_size=0&_facet_size=max")).json()
    return {r["value"]: r["count"] for r in data["facet_results"][name]["results"]}


async def test_persons_facet_by_status_country_category_and_charge(get, conn):
    """Faceting the whole persons table answers, with the counts the database holds."""
    for column in ("status", "country"):
        expected = dict(conn.execute(f"SELECT {column}, count(*) FROM persons GROUP BY 1").fetchall())
        assert await facet(get, "persons", column) == expected
    assert (await facet(get, "persons", "country"))["BY"] == 7
    assert (await facet(get, "persons", "categories", "_array"))["lawyer"] >= 7
    charges = await facet(get, "persons", "charges", "_array")
    assert charges["BY-CC1999-342"] == 7
    assert charges["CN-CL1997-105"] == conn.execute(
        "SELECT count(*) FROM persons, json_each(persons.charges) WHERE value = 'CN-CL1997-105'").fetchone()[0]


async def test_a_facet_filter_narrows_the_rows(get):
    detained_in_belarus = await rows(get, "persons.json?status=detained&country=BY")
    assert len(detained_in_belarus) == 7


async def test_detentions_facet_by_year(get, conn):
    expected = conn.execute("SELECT count(*) FROM detentions WHERE detained_year = 2016").fetchone()[0]
    assert (await facet(get, "detentions", "detained_year"))[2016] == expected


@pytest.mark.parametrize("table,query,expected", [
    ("persons", "Nguyen Lan Thang", {"nguyen-lan-thang"}),
    ("persons", "Nguyễn Lân Thắng", {"nguyen-lan-thang"}),
    ("persons", "Rocio", {"rocio-san-miguel"}),
    ("persons", "天勇", {"jiang-tianyong"}),
    ("persons", "江天", {"jiang-tianyong"}),
    ("persons", "比亚利亚", {"ales-bialiatski"}),
    ("organizations", "Doan", {"lien-doan-cong-giao-viet-nam-tai-duc"}),
    ("organizations", "夜明け", {"xianggangliming-dawn-of-hong-kong-xianggangnoyemingke"}),
    ("organizations", "ウイグル", {"ribenuiguruxiehui"}),
    ("organizations", "台灣", {"taiwannanshe", "taiwankeshe", "taiwanminjianzhiyuanxianggangxiehui-taiwanese-civil-aid-to-h"}),
    ("organizations", "维亚斯纳", {"viasna"}),
    ("charges", "88", {"VN-PC1999-88", "VN-PC2015-117"}),
])
async def test_search_finds_names_with_or_without_diacritics_and_any_part_of_cjk(get, table, query, expected):
    found = {row[TABLES[table].pk] for row in await rows(get, f"{table}.json?_search={query}")}
    assert found == expected


async def test_searching_either_article_number_finds_both_codes(get):
    for article in ("88", "117"):
        found = {row["id"] for row in await rows(get, f"charges.json?_search={article}&country=VN")}
        assert found == {"VN-PC1999-88", "VN-PC2015-117"}


async def test_article_search_finds_old_and_new_code_numbers(get):
    by_new = await rows(get, "detained_under_article.json?article=342&country=BY")
    assert len({r["id"] for r in by_new}) == 7
    assert await rows(get, "detained_under_article.json?article=88&country=VN") == \
        await rows(get, "detained_under_article.json?article=117&country=VN")


async def test_organisations_that_signed_more_than_one_campaign(get):
    signed = {r["id"]: r["campaigns"] for r in await rows(get, "organisations_in_several_campaigns.json")}
    assert signed == {"vietnam-human-rights-network": 2}


async def test_reported_figures_sit_beside_dataset_counts(get, conn):
    compared = {(r["metric"], r["source_id"]): (r["reported"], r["dataset_count"])
                for r in await rows(get, "reported_vs_counted.json")}
    assert compared[("signatories", "china-mechanism-letter")] == (321, 282)
    (cases,) = conn.execute("SELECT count(*) FROM cases").fetchone()
    assert compared[("reprisal cases", "ishr-endreprisals")] == (709, cases)


async def test_map_popups_name_and_link_each_person(get, conn):
    mapped = await rows(get, "persons_map.json?id=jiang-tianyong")
    popup = json.loads(mapped[0]["popup"])
    assert popup["title"] == "Jiang Tianyong (江天勇)"
    assert popup["link"] == "/person/jiang-tianyong"
    await get(popup["link"])
    page = (await get("/conscience/persons_map")).text
    assert "datasette-cluster-map.js" in page


async def test_the_map_shows_cecc_and_azerbaijan_cases(get, conn):
    count = (await get("/conscience/persons_map.json?_size=0&_extra=count")).json()
    total = count.get("filtered_table_rows_count", count.get("count"))
    assert total == conn.execute("SELECT count(*) FROM persons WHERE coordinate_precision IN ('city', 'province')")\
        .fetchone()[0]  # those known only by their country are not drawn (tests/test_map.py)
    for prefix, country in (("cecc-ppd-", "CN"), ("esi-azerbaijan-2014-", "AZ")):
        sample = await rows(get, f"persons_map.json?id__startswith={prefix}&country={country}&_size=5")
        assert len(sample) == 5 and all(-90 <= r["latitude"] <= 90 for r in sample)


async def test_the_site_is_immutable_and_tuned(get):
    databases = (await get("/-/databases.json")).json()
    assert databases[0]["is_mutable"] is False
    settings = (await get("/-/settings.json")).json()
    assert settings["sql_time_limit_ms"] == 1000 and settings["suggest_facets"] is False


async def test_a_runaway_query_is_cut_at_the_time_limit(ds):
    sql = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    response = await ds.client.get("/conscience.json", params={"sql": sql})
    assert response.status_code == 400
    assert "took too long" in response.json()["error"]
