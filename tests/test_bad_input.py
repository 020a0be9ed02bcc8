"""Bad input in raw/ stops the build with one message naming file, line, field and value,
and leaves the previous database untouched."""

import csv

import pytest

from scripts.build import main

PREVIOUS = b"the previous conscience.db"


def edit_csv(path, change):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(rows, line, column, value):
    rows[line - 1][rows[0].index(column)] = value


def build_fails(raw, tmp_path):
    out = tmp_path / "conscience.db"
    out.write_bytes(PREVIOUS)
    with pytest.raises(SystemExit) as failure:
        main(["--raw", str(raw), "--out", str(out)])
    assert out.read_bytes() == PREVIOUS
    assert not (tmp_path / "conscience.db.tmp").exists()
    message = str(failure.value)
    assert message.count("build failed") == 1 and "unchanged" in message
    return message


def test_the_copy_builds(raw, tmp_path):
    main(["--raw", str(raw), "--out", str(tmp_path / "ok.db")])
    assert (tmp_path / "ok.db").stat().st_size > 0


def drop_column(rows, column):
    index = rows[0].index(column)
    for row in rows:
        del row[index]


def test_missing_required_column(raw, tmp_path):
    edit_csv(raw / "ishr-endreprisals/persons.csv", lambda rows: drop_column(rows, "country"))
    message = build_fails(raw, tmp_path)
    assert "ishr-endreprisals/persons.csv, line 1, field 'country'" in message
    assert "required column is missing" in message


def test_unparseable_date(raw, tmp_path):
    edit_csv(raw / "ishr-endreprisals/events.csv", lambda rows: set_cell(rows, 3, "date", "21/11/2016"))
    message = build_fails(raw, tmp_path)
    assert "ishr-endreprisals/events.csv, line 3, field 'date': value '21/11/2016'" in message
    assert "YYYY-MM-DD" in message


def test_duplicate_id(raw, tmp_path):
    edit_csv(raw / "ishr-endreprisals/persons.csv", lambda rows: rows.append(list(rows[1])))
    message = build_fails(raw, tmp_path)
    assert "ishr-endreprisals/persons.csv, line 17, field 'id': value 'jiang-tianyong'" in message
    assert "duplicate persons id (first defined in" in message and "line 2)" in message


def test_country_not_in_reference_table(raw, tmp_path):
    edit_csv(raw / "rfa-2021-04-22/persons.csv", lambda rows: set_cell(rows, 2, "country", "XX"))
    message = build_fails(raw, tmp_path)
    assert "rfa-2021-04-22/persons.csv, line 2, field 'country': value 'XX' — not found in the countries table" in message
    assert "ISO 3166-1 alpha-2" in message


def test_charge_not_in_reference_table(raw, tmp_path):
    edit_csv(raw / "ishr-endreprisals/detention_charges.csv",
             lambda rows: set_cell(rows, 2, "charge_id", "CN-CL1997-999"))
    message = build_fails(raw, tmp_path)
    assert "detention_charges.csv, line 2, field 'charge_id': value 'CN-CL1997-999' — not found in the charges table" \
        in message
    assert "raw/reference/charges.csv" in message


def test_a_cited_page_off_the_sources_sites(raw, tmp_path):
    edit_csv(raw / "defend-the-defenders/persons.csv",
             lambda rows: set_cell(rows, 3, "source_url", "https://example.com/report"))
    message = build_fails(raw, tmp_path)
    assert ("defend-the-defenders/persons.csv, line 3, field 'source_url': value 'https://example.com/report' — "
            "not a page of this source's sites (vietnamhumanrightsdefenders.net)") in message


def test_a_cited_row_without_its_reading_date(raw, tmp_path):
    edit_csv(raw / "ucanews/detentions.csv", lambda rows: set_cell(rows, 2, "accessed", ""))
    message = build_fails(raw, tmp_path)
    assert "ucanews/detentions.csv, line 2, field 'accessed': value '' — the date the page was read is missing" in message
    assert "YYYY-MM-DD" in message
