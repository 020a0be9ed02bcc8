"""Cited web pages: every fact cites its page; Vietnam's prisoners and the UN's reprisal cases are there to find."""

import re

import pytest

from scripts.common import fold
from scripts.link import merge_people
from tests.audit_data import CITED


async def rows(get, path):
    separator = "&" if "?" in path else "?"
    return (await get(f"/conscience/{path}{separator}_shape=array&_size=max")).json()


# That every row cites pages of its source's sites is checked on raw/ by tests/test_audit.py.


def test_each_record_of_a_cited_source_links_its_page(conn):
    records = conn.execute("SELECT source_id, url, upstream_ref FROM records WHERE source_id IN (%s)"
                           % ", ".join("?" * len(CITED)), list(CITED)).fetchall()
    assert len(records) > 60
    assert all(url == ref.split("; ")[0] for _, url, ref in records)


VIETNAM_DETAINED = """
    SELECT DISTINCT p.id FROM persons p JOIN detentions d ON d.person_id = p.id
    JOIN detention_charges dc ON dc.detention_id = d.id
    WHERE p.country = 'VN' AND coalesce(d.detained_on, d.sentenced_on) IS NOT NULL
      AND (dc.charge_id LIKE 'VN-PC1999-%' OR dc.charge_id LIKE 'VN-PC2015-%')"""


def test_forty_people_in_vietnam_with_a_dated_detention_under_the_penal_code(conn):
    people = {row[0] for row in conn.execute(VIETNAM_DETAINED)}
    assert len(people) >= 40
    minorities = conn.execute(f"SELECT DISTINCT ethnicity FROM persons WHERE id IN ({VIETNAM_DETAINED}) "
                              "AND ethnicity NOT IN ('Kinh')").fetchall()
    assert {"Khmer Krom", "Ede", "Jarai"} <= {row[0] for row in minorities}
    (religious,) = conn.execute(f"SELECT count(*) FROM persons WHERE id IN ({VIETNAM_DETAINED}) "
                                "AND religion IS NOT NULL").fetchone()
    assert religious >= 10


@pytest.mark.parametrize("article, codes", [("117", ("VN-PC1999-88", "VN-PC2015-117")),
                                            ("88", ("VN-PC1999-88", "VN-PC2015-117"))])
async def test_detained_under_article_finds_everyone_charged_under_either_code(get, conn, article, codes):
    found = {row["id"] for row in await rows(get, f"detained_under_article.json?article={article}&country=VN")}
    charged = {row[0] for row in conn.execute(
        "SELECT DISTINCT d.person_id FROM detention_charges dc JOIN detentions d ON d.id = dc.detention_id "
        "WHERE dc.charge_id IN (?, ?)", codes)}
    assert len(charged) >= 20 and found == charged


def test_detained_under_article_reads_only_the_searched_charges_detentions(conn, metadata):
    """Left to choose, SQLite read every charge of every detention: 1.1 s at a million persons for any article."""
    sql = metadata["databases"]["conscience"]["queries"]["detained_under_article"]["sql"]
    plan = " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", {"article": "88", "country": ""}))
    assert "SEARCH dc USING INDEX idx_detention_charges_charge_id" in plan and "SCAN dc" not in plan, plan


async def test_vietnamese_names_are_found_without_their_diacritics(get, conn):
    named = conn.execute("SELECT id, name_native FROM persons WHERE country = 'VN' AND name_native IS NOT NULL").fetchall()
    assert len(named) >= 15
    for person_id, native in named:
        plain = fold(native)
        assert plain != native and plain.isascii()
        found = {row["id"] for row in await rows(get, f"persons.json?_search={plain}")}
        assert person_id in found, (plain, person_id)


def test_reprisal_cases_as_ishr_codes_them(conn):
    cases = conn.execute("SELECT id, state, sg_report_year, sg_case_reference, record_type FROM cases").fetchall()
    assert len(cases) >= 10 and len({state for _, state, _, _, _ in cases}) >= 4
    coded = [c for c in cases if c[3]]
    assert len(coded) >= 8 and len({c[1] for c in coded}) >= 4
    for _, _, year, reference, record_type in coded:
        assert re.fullmatch(r"\d{4}-\d{3}-\d{3}", reference) and int(reference[:4]) == year and record_type
    # The SG report's case of a person already in the dataset attaches to that person.
    # (ISHR's own page of the case is the same case: both sources' reprisals are on it, raw/case_links.csv.)
    assert conn.execute("SELECT person_id, source_id FROM reprisals WHERE case_id = 'sg-2017-022-001' "
                        "ORDER BY source_id").fetchall() == [("jiang-tianyong", "ishr-endreprisals"),
                                                             ("jiang-tianyong", "ishr-endreprisals-cases")]


async def test_vietnam_figures_sit_beside_what_the_dataset_holds(get, conn):
    (detained,) = conn.execute("SELECT count(*) FROM persons WHERE country = 'VN' AND status = 'detained'").fetchone()
    figures = {(r["source_id"], r["metric"], r["as_of"]): (r["reported"], r["dataset_count"])
               for r in await rows(get, "statistics_compared.json?country=VN")}
    assert figures[("defend-the-defenders", "prisoners of conscience", "2023-12-31")] == (258, detained)
    assert figures[("civil-rights-defenders", "prisoners of conscience", "2017-11")] == (165, detained)
    assert figures[("the88project-profiles", "media professionals arrested", "2021")][0] == 12
    home = (await get("/")).text
    assert "258" in home and f"{detained} " in home


def test_a_later_page_sets_the_status_of_a_person_two_publishers_name():
    older = {"id": "a", "name": "Tran Thi Nga", "status": "detained", "status_as_of": "2017-07-25", "source_id": "x"}
    later = {"id": "b", "name": "Tran Thi Nga", "status": "exiled", "status_as_of": "2020-01-10", "source_id": "y"}
    assert merge_people([older, later], [0, 0])["status"] == "exiled"
    assert merge_people([older, later], [0, 1])["status"] == "detained"  # a higher-priority source still wins


async def test_person_pages_link_each_facts_page(get, conn):
    page = (await get("/person/tran-thi-nga")).text
    assert 'href="https://www.frontlinedefenders.org/en/case/tran-thi-nga-released-exile"' in page
    assert 'href="http://vietnamhumanrightsdefenders.net/2017/07/26/vietnam-tran-thi-nga-sentenced-to-nine-years-imprisonment"' in page
    (status,) = conn.execute("SELECT status FROM persons WHERE id = 'tran-thi-nga'").fetchone()
    assert status == "exiled"
    case = (await get("/person/huynh-ngoc-truong")).text
    assert "2020-146-007" in case and "endreprisals.ishr.ch" in case
