"""One person, one detention, one row; every date labelled; every count and chart dated; stale statuses flagged."""

import re
import sqlite3

import pytest

from scripts.build import main as build
from scripts.derive import grouped

LIU_XIAOBO = "cecc-ppd-2004-03114"


def detention(id, source, detained=None, ends=None, led=0):
    return {"id": id, "source_id": source, "detained_on": detained, "sentenced_on": None, "sentence_ends_on": ends,
            "released_on": None, "led": led}


def test_rows_of_different_sources_with_agreeing_dates_are_one_detention():
    rows = [detention("a", "cecc", "2016-11-21", led=1), detention("b", "ishr", "2016-11"),
            detention("c", "cppc", None, "2019-02-28")]
    assert grouped(rows) == [("a", "a"), ("a", "b"), ("a", "c")]


def test_an_end_before_the_detention_or_another_date_of_detention_is_another_detention():
    rows = [detention("a", "cecc", "2016-05-31", led=1), detention("b", "ishr", "2012-03"),
            detention("c", "cppc", None, "2015-10-16")]
    assert grouped(rows) == [("a", "a"), ("b", "b"), ("b", "c")]
    rows[1]["detained_on"] = "2015-11"  # detained after CPPC's sentence ended: a third detention
    assert grouped(rows) == [("a", "a"), ("b", "b"), ("c", "c")]


def test_a_row_without_a_date_of_detention_joins_the_latest_detention_it_fits():
    rows = [detention("a", "curated", "2008-01", led=1), detention("b", "cecc", "2016-11-21"),
            detention("c", "cppc", None, "2019-02-28")]
    assert grouped(rows) == [("a", "a"), ("b", "b"), ("b", "c")]


def test_jiang_tianyongs_three_rows_are_one_detention(conn):
    rows = conn.execute("SELECT id, same_detention FROM detentions WHERE person_id = 'jiang-tianyong'").fetchall()
    assert len(rows) == 3 and {lead for _, lead in rows} == {"jiang-tianyong-2016"}
    separate = conn.execute("SELECT count(DISTINCT same_detention) FROM detentions "
                            "WHERE person_id = 'cecc-ppd-2004-05226'").fetchone()
    assert separate == (2,)  # CPPC's sentence ended 2015-10-16, before CECC's detention of 2016-05-31


async def test_the_person_page_shows_one_row_per_detention_with_each_sources_values(ds):
    html = (await ds.client.get("/person/jiang-tianyong")).text
    table = html.split('<table class="simple detentions">')[1].split("</table>")[0]
    assert table.count("<tr>") == 2  # the header and one detention
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))
    for said in ["Detained: 2016-11-21 (cecc-ppd, ishr-endreprisals)", "Sentence ends: 2019-02-28 (cppc-china)",
                 "2 years (24 months) (cecc-ppd)", "两年有期徒刑 (24 months) (ishr-endreprisals)",
                 "sources: cecc-ppd"]:
        assert said in text, said


async def test_a_date_is_never_in_the_sentence_column(ds, conn):
    assert conn.execute("SELECT count(*) FROM detentions WHERE sentence_as_written GLOB '[0-9][0-9][0-9][0-9]*'")\
        .fetchone() == (0,)
    html = (await ds.client.get(f"/person/{LIU_XIAOBO}")).text
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html.split('<table class="simple detentions">')[1], re.S)
    assert "2019-12-07" not in cells[2] and "11 years" in cells[2]  # the Sentence column
    assert re.search(r"Sentence ends:</small>\s*<time[^>]*>2020-06-21</time> <small[^>]*>\(cecc-ppd\)</small> · "
                     r"<time[^>]*>2019-12-07</time> <small[^>]*>\(cppc-china\)</small>", cells[0])


async def test_the_charge_page_labels_each_date(ds, conn):
    html = (await ds.client.get("/charge/CN-CL1997-105")).text
    item = re.sub(r"\s+", " ", re.search(rf'<li><a href="/person/{LIU_XIAOBO}">.*?</li>', html, re.S).group(0))
    text = re.sub(r"<[^>]+>", "", item)
    assert "Liu Xiaobo — Detained: 2008-12-08 · Status: Deceased as of 2017-07-13" in text
    count = conn.execute("SELECT count(DISTINCT person_id) FROM person_charges "
                         "WHERE charge_id = 'CN-CL1997-105'").fetchone()[0]
    assert f"Charged under this article: {count:,}" in re.sub(r"<[^>]+>", "", html)


async def test_charts_count_detentions_once_and_say_whose_lists_they_are_and_as_of_when(ds, conn):
    html = re.sub(r"\s+", " ", (await ds.client.get("/")).text)
    china = html.split("<h3>China</h3>")[1].split("</section>")[0]
    bars = sum(int(n) for n in re.findall(r"<title>\d{4}: (\d+)</title>", china))
    assert bars == conn.execute("SELECT count(DISTINCT same_detention) FROM detentions d JOIN persons p "
                                "ON p.id = d.person_id WHERE p.country = 'CN' AND d.detained_year IS NOT NULL")\
        .fetchone()[0]
    assert 'class="cut-off"' in china and "lists to 2022" in china
    assert re.search(r"cecc-ppd(</span>)? \(", china) and "list as of 2020-07-23" in china


async def test_every_count_on_the_home_page_says_its_sources_and_dates(ds, conn):
    html = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (await ds.client.get("/")).text))
    for source, as_of in conn.execute("SELECT id, as_of FROM sources WHERE id IN (SELECT source_id FROM persons)"):
        assert re.search(rf"{re.escape(source)} [\d,]+ \((as of {as_of}|pages dated [\d-]+(–[\d-]+)?|undated)\)",
                         html), source
    detained = conn.execute("SELECT source_id, count(*), min(status_as_of) FROM persons WHERE status = 'detained' "
                            "GROUP BY 1 ORDER BY 2 DESC").fetchall()
    line = html.split(" Detained ")[1].split(" Deceased ")[0]  # statuses by their English label (statuses.csv)
    for source, count, as_of in detained:
        assert f"{source} {count:,} as of {as_of}" in line


def test_a_status_is_flagged_stale_against_the_release_date_never_the_clock(conn):
    released_on = conn.execute("SELECT max(released_on) FROM releases").fetchone()[0]
    expected = set()
    for pid, ends, starts in conn.execute("""
            SELECT p.id, group_concat(d.sentence_ends_on, ' '), group_concat(d.detained_on, ' ')
            FROM persons p JOIN detentions d ON d.person_id = p.id WHERE p.status = 'detained' GROUP BY p.id"""):
        latest = max((ends or "").split(), default=None)  # "2026" ends in 2026: not before a release in 2026
        if latest and latest < released_on[:len(latest)] and not any(
                start[:len(latest)] > latest[:len(start)] for start in (starts or "").split()):
            expected.add(pid)
    flagged = {pid for (pid,) in conn.execute("SELECT id FROM persons WHERE status_may_be_stale = 1")}
    assert flagged == expected and len(flagged) > 100
    assert conn.execute("SELECT count(*) FROM persons WHERE status_may_be_stale = 1 AND status != 'detained'")\
        .fetchone() == (0,)


@pytest.mark.parametrize("released_on,stale", [("2026-01-01", False), ("2028-02-01", True)])
def test_the_flag_follows_the_release_date(lists_raw, tmp_path, released_on, stale):
    """Qin Yongmin (CECC extract): detained, sentence to end 2028-01-20."""
    out = tmp_path / "release.db"
    (lists_raw / "links.csv").write_text("record_id,other_record_id,decision,note\n")  # links of records not here
    build(["--raw", str(lists_raw), "--out", str(out), "--release-date", released_on])
    flag = sqlite3.connect(out).execute("SELECT status_may_be_stale FROM persons WHERE id = 'cecc-ppd-2004-02138'")
    assert flag.fetchone() == (int(stale),)


async def test_the_person_page_says_when_a_status_may_be_stale_and_the_table_facets_it(ds, conn):
    (pid,) = conn.execute("SELECT id FROM persons WHERE status_may_be_stale = 1 ORDER BY id LIMIT 1").fetchone()
    html = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (await ds.client.get(f"/person/{pid}")).text))
    assert "Status may be out of date : the latest sentence recorded ended on" in html
    assert "source: cecc-ppd" in html
    facets = (await ds.client.get("/conscience/persons.json?_size=0")).json()["facet_results"]
    counts = {row["value"]: row["count"] for row in facets["status_may_be_stale"]["results"]}
    assert counts[1] == conn.execute("SELECT count(*) FROM persons WHERE status_may_be_stale = 1").fetchone()[0]
