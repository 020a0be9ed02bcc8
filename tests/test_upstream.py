"""The three real upstream lists, checked against the upstream files read independently of the adapters."""

import csv
import html
import json
import re

import pytest

from scripts.read import RAW, fetch, read_source_yml


def upstream(source_id):
    _, meta = read_source_yml(RAW / source_id)
    return fetch.fetch_one(meta)


@pytest.fixture(scope="module")
def cecc_rows():
    import rdata

    frame = rdata.read_rda(str(upstream("cecc-ppd")))["cecc"]
    frame = frame.set_index(frame["CECC_record_number"].astype(str))
    return frame


@pytest.fixture(scope="module")
def cppc_lines():
    with open(upstream("cppc-china"), newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return {str(reader.line_num): row for row in reader}


def plain(value):
    import pandas

    return None if pandas.isna(value) else value.item() if hasattr(value, "item") else value


def one(conn, sql, *params):
    rows = conn.execute(sql, params).fetchall()
    assert len(rows) == 1, (sql, params, rows)
    return rows[0]


def person_of(conn, record_id):
    return one(conn, "SELECT p.* FROM persons p JOIN records r ON r.person_id = p.id WHERE r.id = ?", record_id)


def columns(conn, table):
    return [d[1] for d in conn.execute(f"PRAGMA table_info([{table}])")]


def as_dict(conn, table, row):
    return dict(zip(columns(conn, table), row))


def assertions(source_id):
    return read_source_yml(RAW / source_id)[1]["assertions"]


def test_every_upstream_record_is_in_the_database(conn):
    counts = dict(conn.execute("SELECT source_id, count(*) FROM records GROUP BY 1").fetchall())
    for source_id in ("cecc-ppd", "cppc-china", "esi-azerbaijan-2014"):
        assert counts[source_id] == assertions(source_id)["records"]


def test_the_counts_each_list_declares_are_what_its_upstream_file_gives(cecc_rows, cppc_lines):
    """source.yml's assertions (which the build checks against what it read) against the files read directly."""
    cecc = assertions("cecc-ppd")
    sexes = [plain(sex) for sex in cecc_rows["Sex"]]
    assert cecc["records"] == len(cecc_rows)
    assert cecc["persons"]["sex"] == {"female": sexes.count("F"), "male": sexes.count("M"),
                                      None: len(sexes) - sexes.count("F") - sexes.count("M")}
    cppc = assertions("cppc-china")
    assert cppc["records"] == len(cppc_lines)
    assert cppc["persons"]["sex"] == {sex: sum(row["Gender"] == sex for row in cppc_lines.values())
                                      for sex in ("female", "male")}
    document = upstream("esi-azerbaijan-2014").read_text(encoding="utf-8")
    contents = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "\n", document[:document.index("PREFACE")])))
    entries = re.findall(r"^\s*(\d{1,2})\.\s*.+?\s*\.{3,}\s*\d+\s*$", contents, re.M)  # "12. Name ...... 34"
    assert assertions("esi-azerbaijan-2014")["records"] == len(set(entries)) == len(entries)


def test_a_woman_with_a_cecc_record_is_a_woman_by_cecc_or_by_the_record_linked_to_hers(conn, cecc_rows):
    """Three more persons with a CECC record are women than CECC's column says: CECC leaves their sex empty, and the
    CPPC record linked to each gives it; none contradicts CECC."""
    rows = conn.execute("SELECT r.upstream_id, p.sex, (SELECT group_concat(o.source_id) FROM records o "
                        "WHERE o.person_id = p.id AND o.id != r.id) FROM records r JOIN persons p ON p.id = r.person_id "
                        "WHERE r.source_id = 'cecc-ppd'").fetchall()
    cecc_sex = {"F": "female", "M": "male"}
    for upstream_id, sex, others in rows:
        own = cecc_sex.get(plain(cecc_rows.loc[upstream_id, "Sex"]))
        assert sex == own or (own is None and others), upstream_id
    women = sum(sex == "female" for _, sex, _ in rows)
    assert women - assertions("cecc-ppd")["persons"]["sex"]["female"] == 3


def test_every_statute_code_is_in_the_charges_reference(conn):
    assert conn.execute("SELECT count(*) FROM data_quality WHERE field = 'charge'").fetchone() == (0,)
    codes = {c for (raw,) in conn.execute("SELECT json_extract(raw, '$.charge_statute') FROM records "
                                          "WHERE source_id = 'cecc-ppd'") if raw for c in raw.split("/")}
    written = {w for (w,) in conn.execute("SELECT charge_as_written FROM detention_charges WHERE source_id = 'cecc-ppd'")}
    assert codes == written and len(codes) == 117


@pytest.mark.parametrize("number", ["2004-00001", "2004-03114", "2009-00315", "2011-00179"])
def test_known_cecc_records_match_the_upstream_row(conn, cecc_rows, number):
    upstream_row = cecc_rows.loc[number]
    person = as_dict(conn, "persons", person_of(conn, f"cecc-ppd/{number}"))
    detention = as_dict(conn, "detentions", one(conn, "SELECT * FROM detentions WHERE id = ?", f"cecc-ppd-{number}"))
    record = json.loads(one(conn, "SELECT raw FROM records WHERE id = ?", f"cecc-ppd/{number}")[0])
    for field in ("main.name", "detention_status", "date_of_detention", "charge_statute", "Sex", "Age", "religion",
                  "occupation", "ethnic_group", "short_summary"):
        assert record[field] == plain(upstream_row[field]), field
    assert upstream_row["main.name"] in (person["name"], *json.loads(person["alternate_names"] or "[]"))
    assert detention["age_at_detention"] == plain(upstream_row["Age"])
    code = upstream_row["detention_status"]
    codes = {row["code"]: row for row in csv.DictReader(open(RAW / "cecc-ppd/status_codes.csv", encoding="utf-8"))}
    if person["id"] == f"cecc-ppd-{number}":  # CECC defines this person: its status is the person's
        assert (person["status"], person["status_confirmed"]) == (codes[code]["status"], int(codes[code]["confirmed"]))
    raw_date = upstream_row["date_of_detention"]
    year, month, day = raw_date.split("/")
    expected = None if year == "yyyy" else "-".join(p for p in (year, month, day) if p.isdigit())
    assert detention["detained_on"] == expected


def test_liu_xiaobo_is_one_person_across_cecc_and_cppc(conn, cppc_lines):
    person = as_dict(conn, "persons", person_of(conn, "cppc-china/2"))
    line = cppc_lines["2"]
    assert (person["id"], person["name"], person["name_native"]) == ("cecc-ppd-2004-03114", "Liu Xiaobo", line["Name"])
    assert person["birth_year"] == int(line["Date of Birth"][:4])
    assert person["status"] == "deceased"
    assert one(conn, "SELECT date FROM events WHERE person_id = ? AND event_type = 'death'", person["id"]) == (
        line["Date of Death"],)
    assert one(conn, "SELECT url, link_method FROM records WHERE id = 'cppc-china/2'") == (
        line["Source"], "romanised name + birth year + sentence end to the day + only match in each list")


@pytest.mark.parametrize("line", ["3", "4", "150"])
def test_known_cppc_records_match_the_upstream_row(conn, cppc_lines, line):
    row = cppc_lines[line]
    person = as_dict(conn, "persons", person_of(conn, f"cppc-china/{line}"))
    assert row["Name"] in (person["name_native"], *json.loads(person["alternate_names"] or "[]"))
    assert person["sex"] == row["Gender"]
    assert json.loads(one(conn, "SELECT raw FROM records WHERE id = ?", f"cppc-china/{line}")[0]) == row
    detention = as_dict(conn, "detentions", one(conn, "SELECT * FROM detentions WHERE id = ?", f"cppc-china-{line}"))
    if re.match(r"\d{4}", row["Sentence"]):  # a date: when the sentence ends, in its own column
        assert (detention["sentence_as_written"], detention["sentence_ends_on"]) == (None, row["Sentence"])
    else:
        assert detention["sentence_as_written"] == row["Sentence"]


def test_jiang_tianyong_links_the_curated_case_to_cecc_and_cppc(conn):
    sources = {s for (s,) in conn.execute("SELECT source_id FROM records WHERE person_id = 'jiang-tianyong'")}
    assert sources == {"ishr-endreprisals", "cecc-ppd", "cppc-china"}
    assert one(conn, "SELECT status FROM persons WHERE id = 'jiang-tianyong'") == ("house arrest",)


@pytest.mark.parametrize("number,name,category,arrested,articles", [
    ("1", "Abdul Abdulmanaf oglu Abilov", "A. JOURNALISTS AND BLOGGERS", "2013-11-22", {"234.4.3"}),
    ("20", "Leyla Yunus", "B. HUMAN RIGHTS DEFENDERS", "2014-07-30", {"274", "178.3.2", "192.2.2", "213.2.2", "320.1",
                                                                        "320.2"}),
    ("87", "Elchin Samad oglu Amiraslanov", "F. LIFETIME PRISONERS", "1996-12-10", {"57", "57-1"}),
])
def test_known_azerbaijan_cases(conn, number, name, category, arrested, articles):
    document = upstream("esi-azerbaijan-2014").read_text(encoding="utf-8")
    person = as_dict(conn, "persons", person_of(conn, f"esi-azerbaijan-2014/{number}"))
    assert person["name"] == name and name.split()[0] in document
    assert json.loads(one(conn, "SELECT raw FROM records WHERE id = ?", f"esi-azerbaijan-2014/{number}")[0])[
        "category"] == category
    assert one(conn, "SELECT detained_on FROM detentions WHERE id = ?", f"esi-azerbaijan-2014-{number}") == (arrested,)
    written = {w for (w,) in conn.execute("SELECT charge_as_written FROM detention_charges WHERE detention_id = ?",
                                          (f"esi-azerbaijan-2014-{number}",))}
    assert written == articles
    for article in articles:
        assert re.search(rf"\b{re.escape(article)}\b", document)


def test_all_98_azerbaijan_cases_have_name_category_arrest_and_articles(conn):
    rows = conn.execute("""SELECT r.upstream_id, json_extract(r.raw, '$.category'), d.detained_on,
                                  (SELECT count(*) FROM detention_charges c WHERE c.detention_id = d.id)
                           FROM records r JOIN detentions d ON d.id = 'esi-azerbaijan-2014-' || r.upstream_id
                           WHERE r.source_id = 'esi-azerbaijan-2014'""").fetchall()
    assert len(rows) == 98
    assert {category[0] for _, category, _, _ in rows} == set("ABCDEFG")
    assert all(arrested and charges for _, _, arrested, charges in rows)


def test_placeholder_dates_keep_only_what_is_known(conn):
    placeholders = conn.execute("SELECT count(*) FROM records WHERE source_id = 'cecc-ppd' AND "
                                "json_extract(raw, '$.date_of_detention') GLOB '[0-9][0-9][0-9][0-9]/mm/dd'").fetchone()[0]
    years = conn.execute("SELECT count(*) FROM detentions WHERE source_id = 'cecc-ppd' "
                         "AND detained_on_precision = 'year'").fetchone()[0]
    assert placeholders == years == 1788
    assert conn.execute("SELECT count(*) FROM detentions WHERE length(detained_on) != 4 "
                        "AND detained_on_precision = 'year'").fetchone() == (0,)


def test_uncertain_statuses_are_marked_unconfirmed(conn):
    uncertain = conn.execute("""SELECT json_extract(r.raw, '$.detention_status'), p.status, p.status_confirmed
                                FROM records r JOIN persons p ON p.id = r.person_id
                                WHERE r.source_id = 'cecc-ppd' AND p.id = 'cecc-ppd-' || r.upstream_id
                                  AND json_extract(r.raw, '$.detention_status') IN ('DET?', 'REL?', 'DEC/?')""")
    seen = {(code, status, confirmed) for code, status, confirmed in uncertain}
    assert seen == {("DET?", "detained", 0), ("REL?", "released", 0), ("DEC/?", "deceased", 0)}


def test_unparseable_values_are_recorded_not_dropped(conn):
    rows = conn.execute("SELECT source_id, upstream_id, field, raw_value FROM data_quality "
                        "WHERE field = 'Date of Birth'").fetchall()
    assert ("cppc-china", "651", "Date of Birth", "19812") in rows
    assert conn.execute("SELECT count(*) FROM data_quality WHERE problem LIKE 'Chinese characters lost%'").fetchone() \
        == (7880,)


def test_weaker_matches_wait_for_review(conn):
    assert conn.execute("SELECT count(*) FROM link_candidates WHERE score < 4").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM records r JOIN records o ON o.person_id = r.person_id "
                        "WHERE r.source_id = 'cppc-china' AND o.source_id = 'cecc-ppd'").fetchone()[0] >= 250
