"""The curated adapter on three lines of input: a pure conversion from CSV rows to table rows."""

import json

import pytest

from scripts.curated import read_curated_source
from scripts.errors import BuildError

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
