"""The built database: integrity, provenance, determinism, and counts that agree with the seeds."""

import json
import shutil
import sqlite3

import pytest

from scripts.build import build
from scripts.read import Origin
from scripts.schema import TABLES
from scripts.stage import Stage
from scripts.write import write

from .conftest import STRICT


def rows(conn, sql, *params):
    return conn.execute(sql, params).fetchall()


@pytest.mark.slow
def test_two_builds_give_identical_bytes(built_db, tmp_path):
    again = tmp_path / "again.db"
    build(again, strict=STRICT)
    assert again.read_bytes() == built_db.read_bytes()


def test_full_text_indexes_pass_fts5s_integrity_check_and_cover_every_row(built_db, tmp_path):
    copy = tmp_path / "copy.db"  # the check is an INSERT: run it on a writable copy
    shutil.copy(built_db, copy)
    conn = sqlite3.connect(copy)
    for name in (name for name, table in TABLES.items() if table.fts):
        conn.execute(f"INSERT INTO [{name}_fts] ([{name}_fts]) VALUES ('integrity-check')")
        assert rows(conn, f"SELECT id FROM [{name}_fts_docsize] ORDER BY id") == rows(conn, f"SELECT rowid FROM [{name}] ORDER BY rowid")
    conn.close()


def test_foreign_keys_hold(conn):
    assert rows(conn, "PRAGMA foreign_key_check") == []


def test_a_row_pointing_nowhere_stops_the_write_and_nothing_is_renamed(tmp_path):
    stage = Stage(tmp_path / "test.stage")
    source = {"id": "test", "title": "Test", "publisher": "Test", "licence": "test", "language": "en",
              "kind": "list", "description": "A source for this test only."}
    stage.add("sources", [(Origin("source.yml"), source)])
    stage.add("detentions", [(Origin("detentions.csv", 2), {"id": "d1", "person_id": "nobody", "kind": "detention",
                                                            "source_id": "test", "upstream_ref": "line 2"})])
    stage.conn.commit()
    out = tmp_path / "out.db"
    with pytest.raises(RuntimeError, match="foreign key check failed"):
        write(stage, out)
    assert not out.exists() and not list(tmp_path.glob("out.db.*"))
    stage.close()


def test_every_person_has_a_record_and_every_record_a_source(conn):
    assert rows(conn, "SELECT id FROM persons WHERE id NOT IN (SELECT person_id FROM records)") == []
    assert rows(conn, "SELECT id FROM records WHERE source_id NOT IN (SELECT id FROM sources)") == []


def test_person_issues_holds_each_persons_issues_once_per_source(conn):
    issues = {person: set(json.loads(listed)) for person, listed in
              conn.execute("SELECT id, issues FROM persons WHERE issues IS NOT NULL")}
    rows = conn.execute("SELECT p.person_id, issue, p.source_id, r.source_id IS NOT NULL FROM person_issues AS p "
                        "LEFT JOIN records AS r ON r.person_id = p.person_id AND r.source_id = p.source_id "
                        "GROUP BY p.rowid").fetchall()
    assert len(issues) > 10_000 and all(issue in issues[person] for person, issue, _, _ in rows)
    assert {person for person, *_ in rows} == set(issues) and all(has_record for *_, has_record in rows)


def test_every_published_row_names_its_source_and_line(conn):
    for table in TABLES.values():
        if table.provenance:
            missing = rows(conn, f"SELECT count(*) FROM [{table.name}] WHERE source_id IS NULL OR upstream_ref = ''")
            assert missing == [(0,)], table.name


def test_china_letter_counts_agree_with_the_seed(conn):
    """282 signatures transcribed by name, and the letter's own figures: 321 signatories, 39 of them anonymous."""
    assert rows(conn, "SELECT count(*) FROM signatures WHERE campaign_id = 'china-mechanism-letter'") == [(282,)]
    assert rows(conn, "SELECT named_signatories, reported_signatories, reported_anonymous "
                      "FROM campaign_signatory_counts WHERE campaign_id = 'china-mechanism-letter'") == [(282, 321, 39)]
    assert rows(conn, "SELECT metric, value FROM statistics WHERE campaign_id = 'china-mechanism-letter' "
                      "ORDER BY metric") == [("anonymous signatories", 39), ("signatories", 321)]


def test_petition_has_24_signatory_organisations(conn):
    assert rows(conn, "SELECT count(DISTINCT organization_id) FROM signatures "
                      "WHERE campaign_id = 'vhrn-hrc-petition-2023-2025'") == [(24,)]


def test_signatory_names_in_every_script_are_kept_exactly(conn):
    written = {r[0] for r in rows(conn, "SELECT name_as_written FROM signatures")}
    for name in ["Комитет \"Гражданское содействие\"", "مرصد الصحراء للسلم والديمقراطية وحقوق الإنسان",
                 "チベット問題を考える会 Japan Committee for Tibet", "台灣南社", "Liên Đoàn Công Giáo Việt Nam tại Đức",
                 "Southern Africa Human Rights. Defenderss Network- SAHRDN"]:
        assert name in written


def test_the_five_endreprisals_cases_with_their_people_and_organisations(conn):
    """ISHR's five cases; three are the Secretary-General's too, and are one case with both sources on it
    (raw/case_links.csv): the reprisals ISHR's page gives are on that case."""
    cases = dict(rows(conn, "SELECT id, state FROM cases WHERE sources LIKE '%\"ishr-endreprisals\"%'"))
    assert cases == {"sg-2017-022-001": "CN", "sg-2021-002-001": "BY", "ishr-burundi-lawyers": "BI",
                     "sg-2018-032-001": "EG", "ishr-venezuela-ngos": "VE"}

    def people(case):
        return {r[0] for r in rows(conn, "SELECT p.name FROM reprisals r JOIN persons p ON p.id = r.person_id "
                                         "WHERE r.case_id = ? AND r.source_id = 'ishr-endreprisals'", case)}

    def organisations(case):
        return {r[0] for r in rows(conn, "SELECT DISTINCT organization_id FROM reprisals WHERE case_id = ? "
                                         "AND person_id IS NULL AND source_id = 'ishr-endreprisals'", case)}

    assert people("sg-2017-022-001") == {"Jiang Tianyong"}
    assert people("sg-2021-002-001") == {"Ales Bialiatski", "Valiantsin Stefanovic", "Uladzimir Labkovich",
                                         "Marfa Rabkova", "Leanid Sudalenka", "Tatsiana Lasitsa", "Andrei Chapiuk"}
    assert organisations("sg-2021-002-001") == {"viasna"}
    assert people("ishr-burundi-lawyers") == {"Armel Niyongere", "Dieudonné Bashirahishize", "Vital Nshimirimana",
                                              "Lambert Nigarura"}
    assert people("sg-2018-032-001") == {"Ibrahim Metwally Hegazy"}
    assert organisations("ishr-venezuela-ngos") == {"cofavic", "ovcs", "cepaz", "control-ciudadano", "espacio-publico"}
    assert people("ishr-venezuela-ngos") == {"Rocío San Miguel", "Carlos Correa"}


def test_chinese_transliterations_are_kept_as_alternate_names(conn):
    (alternates,) = rows(conn, "SELECT alternate_names FROM persons WHERE id = 'ales-bialiatski'")[0]
    assert json.loads(alternates) == ["阿莱斯·比亚利亚茨基"]


def test_source_figures_are_recorded(conn):
    figures = dict(rows(conn, "SELECT id, value FROM statistics"))
    assert {figures[k] for k in ["ishr-sg-reprisal-cases", "ishr-sg-reprisal-states", "ishr-sg-reports"]} == {709, 76, 11}
    assert (figures["vhrn-political-prisoners"], figures["vhrn-activists-harassed"]) == (209, 340)
    assert [figures[k] for k in ["the88-at-risk", "the88-detained", "the88-detained-women",
                                 "the88-detained-minorities"]] == [256, 239, 83, 64]
    assert figures["now-member-organisations"] == 14
    assert rows(conn, "SELECT DISTINCT as_of FROM statistics WHERE reported_by = 'the-88-project' "
                      "AND source_id = 'rfa-2021-04-22'") == [("2021-04-22",)]


def test_partial_dates_are_never_completed(conn):
    assert rows(conn, "SELECT date, date_precision FROM events WHERE id = 'jiang-2016-12-urgent-appeal'") == [
        ("2016-12", "month")]
    assert rows(conn, "SELECT date, date_precision, date_note IS NOT NULL FROM events "
                      "WHERE id = 'burundi-disbarment-niyongere'") == [(None, None, 1)]


def test_the_name_as_written_is_kept_beside_the_normalised_name(conn):
    assert rows(conn, "SELECT p.name, r.name_as_written FROM persons p JOIN records r ON r.person_id = p.id "
                      "WHERE p.id = 'nguyen-lan-thang'") == [("Nguyễn Lân Thắng", "Nguyễn Lâng Thắng")]


def test_vietnam_1999_articles_map_to_their_2015_successors(conn):
    pairs = set(rows(conn, "SELECT article, (SELECT article FROM charges n WHERE n.id = o.replaced_by) "
                           "FROM charges o WHERE replaced_by IS NOT NULL"))
    assert pairs == {("79", "109"), ("87", "116"), ("88", "117"), ("89", "118"), ("257", "330"), ("258", "331")}
    equivalents = {r[0] for r in rows(conn, "SELECT equivalent_id FROM charge_equivalents e "
                                            "JOIN charges c ON c.id = e.charge_id WHERE c.article = '88'")}
    assert equivalents == {"VN-PC1999-88", "VN-PC2015-117"}
