"""The curated adapter on three lines of input: a pure conversion from CSV rows to table rows."""

import json

import pytest

from scripts.common import BuildError
from scripts.read.curated import read_curated_source

META = {"id": "example-source", "as_of": "2022"}
PERSONS = (
    "id,name,name_native,name_as_written,alternate_names,categories,country,status,status_as_of,source_line\n"
    "a-person,Nguyễn Văn A,Nguyễn Văn A,Nguyễn Văn A,,journalist/blogger;land rights,VN,detained,2021-04,3\n"
    "b-person,Jiang Tianyong,江天勇,江天勇,Jiang T.;江天勇,lawyer,CN,house arrest,,70;98\n"
)


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")


def test_rows_are_converted_with_their_provenance(tmp_path):
    write(tmp_path, "persons.csv", PERSONS)
    tables = read_curated_source(tmp_path, META)
    (origin_a, a), (_, b) = tables["persons"]
    assert origin_a.line == 2
    assert json.loads(a["categories"]) == ["journalist/blogger", "land rights"]
    assert (a["status_as_of"], a["status_as_of_precision"]) == ("2021-04", "month")
    assert b["status_as_of"] is None  # filled from the source's as_of later, never invented here
    assert b["upstream_ref"] == "lines 70, 98"
    assert a["source_id"] == "example-source"


def test_each_person_row_becomes_a_record_with_the_raw_values(tmp_path):
    write(tmp_path, "persons.csv", PERSONS)
    records = [row for _, row in read_curated_source(tmp_path, META)["records"]]
    assert [r["id"] for r in records] == ["example-source/a-person", "example-source/b-person"]
    assert json.loads(records[1]["raw"])["alternate_names"] == "Jiang T.;江天勇"
    assert records[1]["name_as_written"] == "江天勇"


def test_a_csv_that_is_not_a_table_is_refused(tmp_path):
    write(tmp_path, "prisoners.csv", "id\n1\n")
    with pytest.raises(BuildError, match="prisoners.*not a table"):
        read_curated_source(tmp_path, META)


def test_an_unknown_column_is_refused(tmp_path):
    write(tmp_path, "persons.csv", PERSONS.replace("alternate_names", "aliases"))
    with pytest.raises(BuildError, match="'aliases' is not a column of the persons table"):
        read_curated_source(tmp_path, META)


CITED = {"id": "example-pages", "as_of": None, "kind": "cited web pages", "sites": ["example.org", "www.example.net"]}
CITED_PERSONS = (
    "id,name,name_native,country,status,status_as_of,source_url,accessed\n"
    "c-person,Le Dinh Luong,Lê Đình Lượng,VN,detained,2022-10,https://example.org/profile/18/le-dinh-luong/,2026-11-29\n"
    "d-person,Can Thi Theu,,VN,detained,2021-12,https://www.example.org/a;http://example.net/b,2026-11-29\n"
)


def cited_source(tmp_path, persons=CITED_PERSONS):
    write(tmp_path, "source.yml", "id: example-pages\n")
    write(tmp_path, "persons.csv", persons)
    return read_curated_source(tmp_path, CITED)


def test_cited_rows_reference_their_pages_and_records_link_them(tmp_path):
    tables = cited_source(tmp_path)
    (_, c), (_, d) = tables["persons"]
    assert c["upstream_ref"] == "https://example.org/profile/18/le-dinh-luong/"
    assert d["upstream_ref"] == "https://www.example.org/a; http://example.net/b"  # www. and http alike
    records = [row for _, row in tables["records"]]
    assert [r["url"] for r in records] == ["https://example.org/profile/18/le-dinh-luong/", "https://www.example.org/a"]
    assert json.loads(records[0]["raw"])["accessed"] == "2026-11-29"


@pytest.mark.parametrize("url, problem", [
    ("example.org/profile/18", "not the address of a web page"),
    ("javascript:alert(1)", "not the address of a web page"),
    ("https://example.org/a page", "not the address of a web page"),
    ("https://elsewhere.com/profile/18", "not a page of this source's sites (example.net, example.org)"),
])
def test_a_bad_page_address_is_refused_with_file_line_field_and_value(tmp_path, url, problem):
    with pytest.raises(BuildError) as error:
        cited_source(tmp_path, CITED_PERSONS.replace("https://example.org/profile/18/le-dinh-luong/", url))
    message = str(error.value)
    assert message.startswith(f"{tmp_path}/persons.csv, line 2, field 'source_url': value {url!r} — {problem}.")


@pytest.mark.parametrize("accessed", ["", "2026-11", "29/11/2026"])
def test_a_missing_or_partial_reading_date_is_refused(tmp_path, accessed):
    with pytest.raises(BuildError) as error:
        cited_source(tmp_path, CITED_PERSONS.replace(",2026-11-29\nd-person", f",{accessed}\nd-person"))
    assert f"persons.csv, line 2, field 'accessed'" in str(error.value)
    assert "YYYY-MM-DD" in str(error.value)


def test_a_cited_status_needs_its_date_and_a_line_column_is_not_theirs(tmp_path):
    with pytest.raises(BuildError, match="line 3, field 'status_as_of'.*needs its date"):
        cited_source(tmp_path, CITED_PERSONS.replace(",2021-12,", ",,"))
    with pytest.raises(BuildError, match="required column is missing"):
        cited_source(tmp_path, CITED_PERSONS.replace("source_url", "source_line"))


def test_a_cited_source_declares_its_sites(tmp_path):
    write(tmp_path, "persons.csv", CITED_PERSONS)
    with pytest.raises(BuildError, match="source.yml, field 'sites'.*Add sites:"):
        read_curated_source(tmp_path, {**CITED, "sites": None})
