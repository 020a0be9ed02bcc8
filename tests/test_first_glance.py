"""What a journalist reads at first glance (issue 28, items 4, 6 and 7), read from the real build as a reader gets it:
feeds with news on day one, one reprisal case per case, a deceased person's status dated by the death, the home
page's dates, words and numbers in three languages."""

import re
import sqlite3

import lxml.html
from lxml import etree
import pytest

from scripts.common import BuildError
from scripts.link.cases import merge
from tests.conftest import ATOM, check_atom_feed

DATE = re.compile(r"(\d{4}(?:-\d{2}(?:-\d{2})?)?)$")


async def feed(ds, name, query=""):
    response = await ds.client.get(f"/conscience/{name}.atom{query}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return response, check_atom_feed(response.content)


async def test_the_arrests_feed_lists_dated_arrests_newest_first_each_with_its_release(ds, conn):
    response, entries = await feed(ds, "feed_new_arrests")
    assert response.headers["content-encoding"] == "gzip"
    assert len(entries) >= 20
    (release_id, released_on), = conn.execute("select id, released_on from releases order by released_on desc limit 1")
    dates = []
    for entry in entries:
        title = entry.find(f"{ATOM}title").text
        assert " detained, " in title and not title.startswith("Release of")
        dates.append(DATE.search(title).group(1))
        assert f"Added to the dataset in release {release_id}." in entry.find(f"{ATOM}content").text
        assert entry.find(f"{ATOM}updated").text.startswith(released_on)  # the release's date, never a made-up day
        assert entry.find(f"{ATOM}category").get("term") == "arrest"
    assert dates == sorted(dates, reverse=True)
    root = etree.fromstring(response.content)
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Conscience"


async def test_a_date_known_to_the_month_stays_a_month_in_the_feed(ds, conn):
    (person, name, detained_on, source, ref), = conn.execute(
        "select p.id, p.name, d.detained_on, d.source_id, d.upstream_ref from detentions d "
        "join persons p on p.id = d.person_id where d.detained_on_precision = 'month' and d.id = d.same_detention "
        "and p.country = 'VN' order by d.detained_on desc, d.id limit 1")
    _, entries = await feed(ds, "feed_new_arrests", "?country=VN")
    entry = next(e for e in entries if e.find(f"{ATOM}link").get("href").endswith(f"/person/{person}")
                 and e.find(f"{ATOM}title").text.endswith(detained_on))
    text = entry.find(f"{ATOM}content").text
    assert f"{name} detained, {detained_on} (to the month, as the source gives it)." in text
    assert f"Source: {source}, {ref}." in text


@pytest.mark.parametrize("name, term", [("feed_releases", "release"), ("feed_events", "event")])
async def test_the_releases_and_events_feeds_hold_what_the_sources_date(ds, name, term):
    _, entries = await feed(ds, name)
    assert len(entries) >= 20
    assert {e.find(f"{ATOM}category").get("term") for e in entries} == {term}


async def test_the_all_changes_feed_holds_arrests_releases_and_events(ds):
    _, entries = await feed(ds, "feed_changes")
    assert {"arrest", "release", "event"} <= {e.find(f"{ATOM}category").get("term") for e in entries}
    jsonfeed = (await ds.client.get("/conscience/feed_changes.jsonfeed")).json()
    assert jsonfeed["authors"][0]["name"] == "Conscience" and len(jsonfeed["items"]) == len(entries)


async def test_ishr_and_the_secretary_generals_jiang_tianyong_case_are_one_case(ds, conn):
    cases = conn.execute("select id, sources, other_records from cases where title like '%Jiang Tianyong%'").fetchall()
    assert len(cases) == 1
    case_id, sources, other_records = cases[0]
    assert sources == '["ishr-endreprisals", "ishr-endreprisals-cases"]'
    assert "ishr-endreprisals: line 62" in other_records  # ISHR's own reference kept beside the SG's
    for title in ("Viasna", "Hegazy"):
        assert conn.execute("select count(*) from cases where title like ? or other_records like ?",
                            (f"%{title}%", f"%{title}%")).fetchone()[0] == 1
    targets = conn.execute("select case_id, source_id from reprisals where person_id = 'jiang-tianyong'").fetchall()
    assert {case for case, _ in targets} == {case_id}
    assert {source for _, source in targets} == {"ishr-endreprisals", "ishr-endreprisals-cases"}
    page = lxml.html.fromstring((await ds.client.get(f"/conscience/cases/{case_id}")).text)
    assert "line 62" in page.text_content()
    (cases_counted,), = conn.execute("select dataset_count from statistics_compared where metric = 'reprisal cases'")
    assert cases_counted == conn.execute("select count(*) from cases").fetchone()[0]


async def test_every_case_is_listed_linked_from_the_top_of_the_home_page_and_counted_by_state(ds, conn):
    home = lxml.html.fromstring((await ds.client.get("/")).text)
    link = home.xpath("//a[@href='/conscience/cases']")
    assert link and link[0].text == "Reprisal cases"
    first_heading = home.xpath("//h2")[0]
    assert link[0] in first_heading.xpath("preceding::a")  # above the first section, not 4,600 px down
    table = (await ds.client.get("/conscience/cases.json?_size=max&_facet_size=max")).json()
    total = conn.execute("select count(*) from cases").fetchone()[0]
    assert len(table["rows"]) == table["filtered_table_rows_count"] == total  # cases without a target too
    assert sum(value["count"] for value in table["facet_results"]["state"]["results"]) == total


async def test_liu_xiaobos_status_is_dated_by_his_death(ds):
    page = lxml.html.fromstring((await ds.client.get("/person/cecc-ppd-2004-03114")).text)
    status = page.xpath("//h2[.='Status']/following-sibling::p")[0].text_content()
    assert "Deceased" in status and "2017-07-13" in status and "2020-07-23" not in status
    assert "cppc-china" in status  # the death's source, beside the status's


async def test_the_home_page_dates_every_source_and_says_how_many_detained_may_be_out_of_date(ds, conn):
    home = lxml.html.fromstring((await ds.client.get("/")).text).text_content()
    counts = home[home.index("Counts are of persons"):]
    counts = counts[:counts.index(".\n") if ".\n" in counts else 2000]
    assert not re.search(r"defend-the-defenders [\d,]+ \(undated\)", counts)
    (first, last), = conn.execute("select min(status_as_of), max(status_as_of) from persons "
                                  "where source_id = 'defend-the-defenders'")
    assert f"{first}–{last}" in counts
    (stale,), = conn.execute("select count(*) from persons where status_may_be_stale = 1")
    assert stale > 200
    assert f"{stale:,} of them may be out of date" in home


async def test_numbers_are_written_as_each_language_writes_them(ds, conn):
    (persons,), = conn.execute("select count(*) from persons")
    pages = {lang: lxml.html.fromstring((await ds.client.get(f"/?_lang={lang}")).text).text_content()
             for lang in ("en", "vi", "zh")}
    assert f"{persons:,}" in pages["en"]
    assert f"{persons:,}".replace(",", ".") in pages["vi"] and f"{persons:,}" not in pages["vi"]
    assert f"{persons:,}" in pages["zh"]
    assert not re.search(r"\d 本数据集", pages["zh"])  # "53 datasets"
    assert "（本数据集统计）" in pages["zh"]


async def test_facet_and_charge_page_counts_are_written_as_vietnamese_writes_them(ds, conn):
    (china,), = conn.execute("select count(*) from persons where country = 'CN'")
    (article,), = conn.execute("select count(distinct person_id) from person_charges where charge_id = 'CN-CL1997-105'")
    assert china >= 1000  # a count Vietnamese writes with a point
    table = lxml.html.fromstring((await ds.client.get("/conscience/persons?_lang=vi")).text)
    facet = " ".join(table.xpath('//div[@data-column="country"]')[0].text_content().split())
    assert f"{china:,}".replace(",", ".") in facet and f"{china:,}" not in facet
    charge = lxml.html.fromstring((await ds.client.get("/charge/CN-CL1997-105?_lang=vi")).text).text_content()
    assert f"{article:,}".replace(",", ".") in charge


async def test_one_person_matches_in_the_singular(ds, conn):
    text = lxml.html.fromstring((await ds.client.get("/search?q=Liu+Xiaobo")).text).text_content()
    found = re.search(r"(\d+) (persons? match(?:es)?)", text)
    assert found and found.group(2) == ("person matches" if found.group(1) == "1" else "persons match")
    page = lxml.html.fromstring((await ds.client.get("/search?q=Ales+Bialiatski")).text).text_content()
    assert "1 person matches" in page and "1 persons" not in page


def test_a_case_link_names_cases_that_exist_of_one_state(tmp_path):
    def stage():
        conn = sqlite3.connect(":memory:")
        conn.execute("create table cases (id, state, source_id, upstream_ref, title, sources, other_records)")
        conn.execute("create table reprisals (id, case_id)")
        conn.execute("create table events (id, case_id)")
        conn.executemany("insert into cases values (?, ?, ?, ?, ?, null, null)", [
            ("a", "CN", "one", "line 2", "A"), ("b", "CN", "two", "https://example.org/b", "B"),
            ("c", "EG", "two", "line 9", "C")])
        conn.execute("insert into reprisals values ('r', 'a')")
        return conn

    links = tmp_path / "case_links.csv"
    links.write_text("case_id,same_as,note\na,b,the same disappearance\n")
    conn = stage()
    merge(conn, links, {"a", "b", "c"})
    assert conn.execute("select id, sources, other_records from cases order by id").fetchall() == [
        ("b", '["one", "two"]', '["one: line 2 (case a: A)"]'), ("c", '["two"]', None)]
    assert conn.execute("select case_id from reprisals").fetchall() == [("b",)]
    for text, problem in [("a,nowhere,x\n", "no case has this id"), ("a,c,x\n", "two states"), ("a,b,\n", "no note")]:
        links.write_text("case_id,same_as,note\n" + text)
        with pytest.raises(BuildError, match=problem):
            merge(stage(), links, {"a", "b", "c"})
    withheld = stage()
    withheld.execute("delete from cases where id = 'a'")  # every target of the case withheld
    links.write_text("case_id,same_as,note\na,b,the same disappearance\n")
    merge(withheld, links, {"a", "b", "c"})
    assert withheld.execute("select other_records from cases where id = 'b'").fetchone() == (None,)


@pytest.mark.parametrize("name", ["feed_new_arrests", "feed_releases", "feed_events", "feed_changes"])
def test_a_feed_for_a_country_without_entries_reads_that_countrys_index_not_every_entry(conn, metadata, name):
    """At a million persons such a feed walked every entry of its kind: 2.5-2.9 s, past the one-second limit."""
    sql = metadata["databases"]["conscience"]["queries"][name]["sql"]
    steps = []
    conn.set_progress_handler(lambda: steps.append(1), 100)  # called every 100 SQLite instructions
    try:
        found = conn.execute(sql, {"country": "XX", "_site_url": ""}).fetchall()
    finally:
        conn.set_progress_handler(None, 100)
    (entries,) = conn.execute("SELECT count(*) FROM news_facts").fetchone()
    assert found == [] and len(steps) * 100 < entries / 10
